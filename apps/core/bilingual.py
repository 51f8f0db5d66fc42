"""One message in both languages: the reader's language first, then the other one.

The order e-mails (`apps.emails.rendering`) and the account e-mails (`apps.users.adapter`)
are put together here. Each language block is rendered under `translation.override(lang)`,
so its texts, dates and links (`/ar/…`, `/en/…`) read exactly as on the site in that
language, and the blocks are placed in `templates/emails/base.html` / `base.txt` (the shop's
name in both languages on top, one `<td lang dir>` per block).

The subject is both languages' subjects joined by " · ", each half wrapped in Unicode
isolates (RLI … PDI for Arabic, LRI … PDI for English) so it keeps its own direction
whichever language comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

OTHER_LANGUAGE = {"ar": "en", "en": "ar"}
DIRECTION = {"ar": "rtl", "en": "ltr"}

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
ISOLATE = {"ar": RLI, "en": LRI}

LAYOUT_HTML = "emails/base.html"
LAYOUT_TEXT = "emails/base.txt"


@dataclass
class LanguageBlock:
    lang: str
    dir: str
    align: str
    subject: str
    html: SafeString
    text: str


@dataclass
class BilingualMessage:
    subject: str
    html: str
    text: str
    blocks: list[LanguageBlock] = field(default_factory=list)


def languages_for(language: str | None) -> list[str]:
    """The reader's language first, then the other one."""
    language = (language or "")[:2]
    first = language if language in OTHER_LANGUAGE else settings.LANGUAGE_CODE[:2]
    return [first, OTHER_LANGUAGE[first]]


def isolate_subject(text: str, lang: str) -> str:
    """One language's half of a subject, isolated as a whole in its direction."""
    return f"{ISOLATE[lang]}{text}{PDI}"


def shop_identity(lang: str) -> dict[str, str]:
    """The shop's name, address and legal details in `lang` (settings.SHOP_IDENTITY)."""
    identity = settings.SHOP_IDENTITY
    return {
        "name": identity["name_en"] if lang == "en" else identity["name_ar"],
        "address": identity["address_en"] if lang == "en" else identity["address_ar"],
        "commercial_registration": identity["commercial_registration"],
        "vat_number": identity["vat_number"],
        "email": identity["email"],
        "phone": identity["phone"],
    }


def absolute_url(path: str) -> str:
    """A link for a message read outside the site: `SHOP_BASE_URL` + path, never the host of
    whatever request caused the message."""
    return f"{settings.SHOP_BASE_URL.rstrip('/')}{path}"


def render_bilingual(
    *,
    language: str | None,
    html_template: str,
    text_template: str,
    context: Callable[[str], dict[str, Any]],
    subject: Callable[[str], str],
) -> BilingualMessage:
    """Render `html_template` / `text_template` once per language (the reader's first) and
    wrap the blocks in the shared layout.

    `context(lang)` and `subject(lang)` are called with `lang` active; every block also gets
    `lang`, `dir`, `align` and `shop` (the shop's identity in that language). `subject(lang)`
    returns the plain sentence; it is isolated here.
    """
    blocks = []
    for lang in languages_for(language):
        with translation.override(lang):
            direction = DIRECTION[lang]
            align = "right" if direction == "rtl" else "left"
            block_context = {
                **context(lang),
                "lang": lang,
                "dir": direction,
                "align": align,
                "shop": shop_identity(lang),
            }
            blocks.append(
                LanguageBlock(
                    lang=lang,
                    dir=direction,
                    align=align,
                    subject=isolate_subject(str(subject(lang)), lang),
                    html=mark_safe(render_to_string(html_template, block_context)),
                    text=render_to_string(text_template, block_context).strip(),
                )
            )
    joined_subject = " · ".join(block.subject for block in blocks)  # each half isolated
    primary = blocks[0].lang
    with translation.override(primary):
        layout = {
            "blocks": blocks,
            "subject": joined_subject,
            "lang": primary,
            "dir": DIRECTION[primary],
            "shop_ar": shop_identity("ar"),
            "shop_en": shop_identity("en"),
        }
        html = render_to_string(LAYOUT_HTML, layout)
        text = render_to_string(LAYOUT_TEXT, layout)
    return BilingualMessage(subject=joined_subject, html=html, text=text, blocks=blocks)
