# Django's bundled Arabic formats use "," as the decimal separator ("1.234,50"), which reads
# wrong to Gulf shoppers. Saudi shops write numbers with Latin digits, "," for thousands and
# "." for decimals, so we override them here (FORMAT_MODULE_PATH).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
TIME_FORMAT = "H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 0  # Sunday
