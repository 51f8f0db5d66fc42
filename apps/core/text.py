"""Normalising what shoppers type on Arabic phone keyboards."""

# Arabic-Indic (U+0660..) and Eastern Arabic-Indic/Persian (U+06F0..) digits -> ASCII.
_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})


def to_ascii_digits(value: str) -> str:
    return value.translate(_DIGITS)

