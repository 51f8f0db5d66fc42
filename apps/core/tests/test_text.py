from apps.core.text import to_ascii_digits


def test_arabic_indic_and_persian_digits_become_ascii():
    assert to_ascii_digits("٠٥١٢٣٤٥٦٧٨") == "0512345678"
    assert to_ascii_digits("۱۲۲۱۱") == "12211"
    assert to_ascii_digits("حي ٣") == "حي 3"
