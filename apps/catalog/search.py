"""Product search that reads Arabic as shoppers type it.

Every product keeps a search index of its own (`Product.search_title`, `search_text`): the
normalised words of its pages in every language (title; summary, description and its
category's title), its SKU, each word with its light stem and its "skeleton". A query is
normalised the same way; a product matches when every query word starts one of its indexed
forms. Plain `LIKE` on one column per weight, so it runs the same on SQLite and PostgreSQL;
ranked by where the words matched (title before text).

Written here rather than taken from a library: the rules are few and ours to choose
(ة and ه, ى and ي read as one; hamza forms as ا), PostgreSQL's full-text search has no Arabic
dictionary and SQLite has none at all, and the Arabic stemming libraries on PyPI do heavy
root extraction that would make "قهوة" match "قهر".

- Normalisation: Arabic-Indic digits to ASCII; tashkeel and tatweel removed; أ إ آ ٱ → ا;
  ة → ه; ى → ي; ؤ → و; ئ → ي; lower case; punctuation splits words.
- Light stem: the definite article and the prefixes و ف ب ك ل before it (وال، بال، لل …), a
  single و or ب prefix on long words, and the suffixes ات ون ين ان ية يه ه; English: a plural
  -s / -es.
- Skeleton: the stem without its inner long vowels (ا و ي), so a broken plural finds its
  singular: تمور → تمر.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from apps.core.text import to_ascii_digits

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و",
                       "ئ": "ي"})
_WORD = re.compile(r"[0-9a-z\u0621-\u064a]+(?:-[0-9a-z]+)*")
_ARABIC = re.compile("[\u0621-\u064a]")
ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
SUFFIXES = ("ات", "ون", "ين", "ان", "ية", "يه", "ه")


def normalize(text: str) -> str:
    text = to_ascii_digits(str(text or "")).lower()
    return _TASHKEEL.sub("", text).translate(_FOLD)


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def stem(word: str) -> str:
    if not _ARABIC.search(word):
        if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
            return word[:-2]
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
        return word
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix):]
            break
    else:
        if word[0] in "وب" and len(word) >= 5:
            word = word[1:]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def skeleton(word: str) -> str:
    """An Arabic stem without its inner long vowels (تمور → تمر); others unchanged."""
    if len(word) < 4 or not _ARABIC.search(word):
        return word
    return word[0] + re.sub("[اوي]", "", word[1:-1]) + word[-1]


def forms(word: str) -> set[str]:
    stemmed = stem(word)
    return {word, stemmed, skeleton(stemmed)}


def index_text(texts: Iterable[str]) -> str:
    """What a product's index column holds: every form of every word, space-delimited (a
    leading space lets `LIKE '% form%'` match the start of a form)."""
    found: list[str] = []
    for text in texts:
        for word in words(text):
            for form in sorted(forms(word)):
                if form not in found:
                    found.append(form)
    return " " + " ".join(found) + " " if found else ""


def query_terms(query: str) -> list[set[str]]:
    """For each word of the query, the forms any of which may match (its stem and
    skeleton)."""
    terms = []
    for word in words(query)[:8]:
        stemmed = stem(word)
        terms.append({stemmed, skeleton(stemmed)})
    return terms
