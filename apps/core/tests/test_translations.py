"""The shop speaks Arabic: a complete catalogue, and no English left on Arabic pages."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from apps.orders.models import Order
from apps.orders.tests.factories import order_for
from apps.payments import stripe_test_cards as cards
from apps.users.tests.factories import AddressFactory

BASE_DIR = Path(__file__).resolve().parents[3]
PO_FILE = BASE_DIR / "locale" / "ar" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def untranslated(po_path: Path) -> list[str]:
    """Entries without an Arabic translation, or marked fuzzy (which Django ignores)."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:  # the header
            continue
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        label = f"{message.context}|{msgid}" if message.context else msgid
        if message.fuzzy:
            problems.append(f"fuzzy: {label}")
        elif not all(form and form.strip() for form in forms):
            problems.append(f"untranslated: {label}")
    return problems


def test_every_message_has_an_arabic_translation():
    problems = untranslated(PO_FILE)

    assert not problems, f"{len(problems)} messages need Arabic:\n" + "\n".join(problems)


def test_translations_keep_their_placeholders():
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle)

    errors = [f"{message.id}: {error}" for message, errs in catalog.check() for error in errs]

    assert not errors, "\n".join(errors)


def test_compiled_catalogue_matches_the_po_file():
    # Django reads django.mo: a .po edited without `make messages` changes nothing on screen.
    assert MO_FILE.exists(), "run `make messages` to compile locale/ar/LC_MESSAGES/django.mo"
    with PO_FILE.open("rb") as handle:
        po = _messages(read_po(handle), skip_fuzzy=True)
    with MO_FILE.open("rb") as handle:
        mo = _messages(read_mo(handle))

    stale = sorted(str(key) for key, value in po.items() if mo.get(key) != value)
    assert not stale, "django.mo is older than django.po:\n" + "\n".join(stale)


def _messages(catalog, *, skip_fuzzy: bool = False) -> dict:
    messages = {}
    for message in catalog:
        if not message.id or (skip_fuzzy and message.fuzzy):
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else tuple(message.string)
        # Babel's read_mo leaves a message context as bytes.
        context = message.context
        if isinstance(context, bytes):
            context = context.decode()
        messages[(context, msgid)] = string
    return messages


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed")
def test_every_ui_string_in_the_code_is_in_the_catalogue(tmp_path):
    # Re-extract the messages as `make messages` does, in a copy so the real .po is untouched.
    for name in ("apps", "config", "templates", "locale"):
        shutil.copytree(BASE_DIR / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(BASE_DIR / "manage.py", tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-obsolete"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr

    problems = untranslated(tmp_path / "locale" / "ar" / "LC_MESSAGES" / "django.po")

    assert not problems, (
        f"{len(problems)} strings in the code are missing from django.po (run `make messages` "
        "and translate them):\n" + "\n".join(problems)
    )


# --- Arabic pages show no English --------------------------------------------------------

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
VISIBLE_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
SKIPPED_ELEMENTS = {"script", "style", "template"}


class VisibleText(HTMLParser):
    """Text a visitor can see or hear, minus elements marked as not UI text."""

    def __init__(self, skip_classes: set[str]):
        super().__init__()
        self.skip_classes = skip_classes
        self.chunks: list[str] = []
        self._skip_stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        skipping = bool(self._skip_stack)
        if tag in SKIPPED_ELEMENTS or classes & self.skip_classes or attrs.get("lang") == "en":
            if tag not in {"input", "img", "br", "meta", "link"}:
                self._skip_stack.append(tag)
            return
        if skipping:
            if tag not in {"input", "img", "br", "meta", "link"}:
                self._skip_stack.append(tag)
            return
        self.chunks.extend(attrs[name] for name in VISIBLE_ATTRIBUTES if attrs.get(name))
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        if self._skip_stack and self._skip_stack[-1] == tag:
            self._skip_stack.pop()

    def handle_data(self, data):
        if not self._skip_stack:
            self.chunks.append(data)


def latin_words(html: str, *, content: list[str]) -> list[str]:
    """Latin words in the page's UI text. `content` is shop data shown as-is (product names,
    SKUs, e-mail addresses, order numbers) which may legitimately be Latin."""
    parser = VisibleText(skip_classes={"sku", "order-number", "product-title", "lang-switch"})
    parser.feed(html)
    text = "\n".join(parser.chunks)
    for value in sorted(content, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    text = re.sub(r"\b[0-9]+X+\b", " ", text)  # number masks such as 05XXXXXXXX
    return sorted(set(LATIN_WORD.findall(text)))


@pytest.fixture
def arabic_pages(client, catalog, oud, customer, shipping_zones, card_holder_now):
    """Every main page a shopper visits in Arabic, rendered with realistic data."""
    pages = {}
    shopper = client
    pages["home"] = shopper.get("/ar/")
    pages["category"] = shopper.get(catalog.category_ar.get_url())
    pages["product"] = shopper.get(catalog.url(oud))
    pages["product sold out"] = shopper.get(catalog.url(catalog.products[2]))
    shopper.post(catalog.add_url(oud), {"quantity": "1"})
    pages["cart"] = shopper.get("/ar/cart/")
    pages["checkout as guest"] = shopper.get("/ar/checkout/")
    pages["search"] = shopper.get("/ar/search/?q=%D8%B9%D9%88%D8%AF")
    pages["search, nothing found"] = shopper.get("/ar/search/?q=zzz")
    pages["login"] = shopper.get("/ar/accounts/login/")
    pages["signup"] = shopper.get("/ar/accounts/signup/")
    pages["password reset"] = shopper.get("/ar/accounts/password/reset/")
    guest_order = order_for((oud, 1))
    pages["guest order link"] = shopper.get(guest_order.get_guest_url())

    shopper.force_login(customer)
    AddressFactory(user=customer)
    order = order_for((oud, 1), user=customer)
    shopper.post(catalog.add_url(oud), {"quantity": "1"})
    pages["checkout signed in"] = shopper.get("/ar/checkout/")
    pages["my orders"] = shopper.get("/ar/account/orders/")
    pages["order detail"] = shopper.get(f"/ar/account/orders/{order.number}/")
    pages["address book"] = shopper.get("/ar/account/addresses/")
    pages["new address"] = shopper.get("/ar/account/addresses/new/")
    pages["payment"] = shopper.get(f"/ar/orders/{order.number}/pay/")
    # The shopper's card was declined: the return page explains and offers a retry.
    card_holder_now.confirm(pages["payment"].context["payment"].stripe_payment_intent_id,
                            cards.DECLINED)
    pages["payment return"] = shopper.get(f"/ar/orders/{order.number}/pay/return/")
    return pages


def test_arabic_pages_show_no_english_ui_text(arabic_pages, catalog, customer, settings):
    content = [p.title for p in catalog.pages_ar.values()]
    content += [p.summary for p in catalog.pages_ar.values()]
    content += [product.sku for product in catalog.products]
    content += [catalog.home_ar.title, catalog.category_ar.title, customer.email, "zzz"]
    content += list(Order.objects.values_list("number", flat=True))

    found = {}
    for name, response in arabic_pages.items():
        assert response.status_code == 200, name
        words = latin_words(response.content.decode(), content=content)
        if words:
            found[name] = words

    assert not found, "English words on Arabic pages:\n" + "\n".join(
        f"  {name}: {', '.join(words)}" for name, words in found.items()
    )
