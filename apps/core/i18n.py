"""Texts frozen in every language the shop speaks."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation


def in_each_language(make: Callable[[], Any]) -> dict[str, str]:
    """{"ar": …, "en": …}: `make()` evaluated under each language, e.g. a translated reason
    or a language-prefixed link, for a message that is put together later (an e-mail)."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(make())
    return texts


def pick_language(value: Any, language: str) -> Any:
    """The `language` text of a value `in_each_language` made; any other value as it is."""
    if isinstance(value, dict) and language in value:
        return value[language]
    return value
