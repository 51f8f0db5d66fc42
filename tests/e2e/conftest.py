"""End-to-end browser tests: a real Chromium (through Playwright) against pytest-django's
`live_server`, with the demo catalog from `seed_demo`.

* Chromium is the Debian one, /usr/bin/chromium (override with CHROMIUM_PATH); Playwright's own
  downloaded browsers are not used.
* No browser (or no playwright package): every e2e test is skipped and a banner says so at the
  end of the run. With E2E_REQUIRED=1 (CI) a missing browser is a failure instead.
* Screenshots go to tests/e2e/screenshots/ (git-ignored), named {lang}-{width}-{step}.png.
"""

import json
import os
import re
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in this thread, so Django thinks the test
# body is async code and refuses ORM calls (SynchronousOnlyOperation). The test body is plain
# synchronous code, so this is safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
E2E_REQUIRED = os.environ.get("E2E_REQUIRED") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-dev-shm-usage",
]
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
SCREENSHOT_WIDTHS = (375, 1280)  # phone, desktop
DESKTOP = {"width": 1280, "height": 900}

# Why the e2e tests could not run (filled in by pytest_runtest_setup, shown by the banner).
_unavailable: dict[str, str] = {}
# Layout notes gathered while taking screenshots (horizontal overflow), shown at the end.
_layout_notes: list[str] = []


def browser_unavailable_reason() -> str | None:
    """None if Playwright and the Chromium executable are there, else why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"the 'playwright' Python package is not installed ({error})"
    path = Path(CHROMIUM_PATH)
    if not path.is_file() or not os.access(path, os.X_OK):
        return (
            f"no Chromium executable at {CHROMIUM_PATH} "
            "(install Debian's 'chromium' package or set CHROMIUM_PATH)"
        )
    return None


def _no_browser(reason: str):
    """Skip loudly, or fail when E2E_REQUIRED=1."""
    _unavailable["reason"] = reason
    message = f"E2E browser tests cannot run: {reason}"
    if E2E_REQUIRED:
        pytest.fail(f"{message} (E2E_REQUIRED=1, so this is a failure)", pytrace=False)
    warnings.warn(message, UserWarning, stacklevel=2)
    pytest.skip(f"{message}. Set E2E_REQUIRED=1 to turn this into a failure.")


def pytest_runtest_setup(item):
    # Before any fixture (database, live server) is set up, so a skip costs nothing.
    if item.get_closest_marker("e2e") is None:
        return
    reason = browser_unavailable_reason()
    if reason:
        _no_browser(reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if "reason" in _unavailable:
        verdict = "FAILED" if E2E_REQUIRED else "SKIPPED"
        terminalreporter.write_sep("!", f"E2E BROWSER TESTS {verdict}", red=True, bold=True)
        terminalreporter.write_line(f"  {_unavailable['reason']}", red=True, bold=True)
        advice = (
            "E2E_REQUIRED=1 is set, so the run fails."
            if E2E_REQUIRED
            else "Set E2E_REQUIRED=1 to make a missing browser fail the run."
        )
        terminalreporter.write_line(
            f"  The storefront was NOT tested in a browser. {advice}", red=True, bold=True
        )
        terminalreporter.write_sep("!", red=True, bold=True)
    if _layout_notes:
        terminalreporter.write_sep("-", "e2e layout notes (see tests/e2e/screenshots/)")
        for note in _layout_notes:
            terminalreporter.write_line(f"  {note}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="package", autouse=True)
def _e2e_media_root(tmp_path_factory):
    """Seeded product images (and their renditions) go to a throw-away folder; the live
    server serves it at MEDIA_URL (SERVE_MEDIA in the test settings)."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("e2e-media"))):
        yield


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e tests, closed after them: Playwright's event loop must not
    outlive them (Django would see every later test as async code)."""
    reason = browser_unavailable_reason()
    if reason:
        _no_browser(reason)
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
    except Error as error:
        playwright.stop()
        _no_browser(f"Chromium at {CHROMIUM_PATH} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


# What `seed_demo` wrote, serialized after the first run; reloaded by later tests (the
# transactional tests empty the database after each test). Seeding takes seconds, reloading
# a fraction of that. Only reused while MEDIA_ROOT (where the product images are) is unchanged.
_seed_snapshot: dict[str, str] = {}


@pytest.fixture
def seeded(transactional_db, settings):
    """The demo catalog, shipping zones and accounts, from `call_command("seed_demo")`."""
    from io import StringIO

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    media_root = str(settings.MEDIA_ROOT)
    if _seed_snapshot.get("media_root") == media_root:
        # The snapshot holds the whole database (migration data included): start from empty.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True,
                     reset_sequences=False)  # ids only grow: loaded rows keep theirs
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(_seed_snapshot["data"])
        return
    call_command("seed_demo", stdout=StringIO())
    # Content types first: loading a page looks its type up, and a miss would insert it
    # under a new id that clashes with the snapshot's row loaded later.
    rows = json.loads(connection.creation.serialize_db_to_string())
    rows.sort(key=lambda row: row["model"] != "contenttypes.contenttype")
    _seed_snapshot.update(media_root=media_root, data=json.dumps(rows))


@pytest.fixture
def shopper_factory(request, browser, live_server, seeded):
    """`shopper_factory(lang)` -> a Shopper in a fresh browser context (own cookies)."""
    shoppers: list[Shopper] = []

    def make(lang: str) -> Shopper:
        context = browser.new_context(viewport=DESKTOP, locale="ar-SA" if lang == "ar" else "en-US")
        context.set_default_timeout(10_000)
        shopper = Shopper(context.new_page(), live_server.url, lang)
        shoppers.append(shopper)
        return shopper

    yield make
    failed = getattr(request.node, "e2e_failed", False)
    for index, shopper in enumerate(shoppers):
        if failed:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            path = SCREENSHOT_DIR / f"FAILED-{name}-{index}.png"
            shopper.page.screenshot(path=path, full_page=True)
        shopper.page.context.close()


# --- Helpers ----------------------------------------------------------------------------

_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u2066-\u2069]")


def norm(text: str) -> str:
    """Text as a reader sees it: no bidi control marks, one plain space between words."""
    return " ".join(_BIDI_MARKS.sub("", text).replace("\xa0", " ").split())


def money(amount: Decimal, lang: str) -> str:
    """The shop's own format for an amount in `lang`, normalised like `norm`."""
    from django.utils import translation

    from apps.core.money import format_money

    with translation.override(lang):
        return norm(format_money(amount, "SAR"))


def translated(message: str, lang: str) -> str:
    from django.utils import translation

    with translation.override(lang):
        return translation.gettext(message)


# Waits until every <img> on the page has loaded (lazy ones too, so full-page screenshots
# show them) and returns the ones that failed.
_WAIT_FOR_IMAGES = """
async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  })));
  return images.filter(img => !img.naturalWidth).map(img => img.currentSrc || img.src);
}
"""

_OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      if (!el.closest(".category-nav, .visually-hidden, .skip-link, .lines-scroll")) {
        const classes = el.className ? "." + String(el.className).split(" ").join(".") : "";
        wide.push(el.tagName.toLowerCase() + classes);
      }
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}
"""


# Every piece of text a reader sees (text nodes, placeholders, the title), leaving out
# elements marked as another language (the "English" switch) and scripts.
_VISIBLE_TEXT = """
() => {
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (el.closest("script, style, noscript")) continue;
    const lang = el.closest("[lang]");
    if (lang && !lang.lang.startsWith("ar")) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label]")) {
    parts.push(el.getAttribute("placeholder") || "", el.getAttribute("aria-label") || "");
  }
  return parts.join("\\n");
}
"""
# Latin text that belongs on an Arabic page: SKUs, order numbers, e-mail addresses, the
# mobile-number pattern in hints and the currency code.
_LATIN_ALLOWED = re.compile(
    r"GE-[A-Z]{3}-\d{3}|GE-\d{4}-\d{6}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|05X+|\bSAR\b"
    # Tax document numbers and UUIDs: codes, not words.
    r"|\b(?:INV|CRN|DBN)-\d{4}-\d{6}\b|\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b"
)


class Shopper:
    """A browser tab in one language, with the steps the tests repeat."""

    def __init__(self, page, base_url: str, lang: str):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.lang = lang
        self.bad_responses: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []  # uncaught exceptions in the page's scripts
        self.english_on_arabic_pages: dict[str, list[str]] = {}
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _on_response(self, response):
        if response.status >= 400 and response.request.resource_type in {
            "image",
            "stylesheet",
            "script",
            "font",
        }:
            self.bad_responses.append(f"{response.status} {response.url}")

    def _on_console(self, message):
        # Failed requests show up here too; those are judged in _on_response instead (a 400
        # checkout page is expected, a missing /favicon.ico is not ours to judge here).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    norm = staticmethod(norm)

    def money(self, amount: Decimal) -> str:
        return money(amount, self.lang)

    def t(self, message: str) -> str:
        """`message` translated into the shopper's language."""
        return translated(message, self.lang)

    # navigation ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.lang}{path}"

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        self.assert_direction()
        return response

    def submit(self, button):
        """Click a submit button and wait for the page it leads to."""
        with self.page.expect_navigation() as navigation:
            button.click()
        self.assert_direction()
        return navigation.value

    def assert_direction(self) -> None:
        html = self.page.locator("html")
        expected_dir = "rtl" if self.lang == "ar" else "ltr"
        assert html.get_attribute("lang") == self.lang, self.page.url
        assert html.get_attribute("dir") == expected_dir, self.page.url

    def check_language(self, step: str) -> None:
        """On Arabic pages, note any English words (an untranslated string)."""
        if self.lang != "ar":
            return
        text = _LATIN_ALLOWED.sub(" ", self.page.evaluate(_VISIBLE_TEXT))
        words = sorted(set(re.findall(r"[A-Za-z]{2,}", text)))
        if words:
            self.english_on_arabic_pages[step] = words

    # screenshots -----------------------------------------------------------------------

    def snap(self, step: str) -> None:
        """Full-page screenshots of the current page at phone and desktop widths."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.check_language(step)
        for width in SCREENSHOT_WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800 if width < 800 else 900})
            broken = self.page.evaluate(_WAIT_FOR_IMAGES)
            assert not broken, f"images did not load on {self.page.url}: {broken}"
            layout = self.page.evaluate(_OVERFLOW)
            if layout["scroll"] > layout["width"] + 1 or layout["wide"]:
                _layout_notes.append(
                    f"{self.lang}-{width}-{step}: content wider than the viewport "
                    f"({layout['scroll']}px > {layout['width']}px): {', '.join(layout['wide'])}"
                )
            self.page.screenshot(
                path=SCREENSHOT_DIR / f"{self.lang}-{width}-{step}.png", full_page=True
            )
        self.page.set_viewport_size(DESKTOP)

    # shop steps ------------------------------------------------------------------------

    def add_to_cart(self, quantity: int) -> None:
        """On a product page: set the quantity and add; lands on the cart."""
        self.page.locator("form.add-to-cart input[name=quantity]").fill(str(quantity))
        self.submit(self.page.locator("form.add-to-cart button[type=submit]"))
        assert re.search(rf"/{self.lang}/cart/$", self.page.url), self.page.url

    def cart_line(self, sku: str):
        return self.page.locator(".cart-line").filter(
            has=self.page.locator(".sku", has_text=re.compile(rf"^{re.escape(sku)}$"))
        )

    def fill_address(self, *, phone: str, city: str, email: str | None = None) -> None:
        page = self.page
        if email is not None:
            page.locator("#id_email").fill(email)
        arabic = self.lang == "ar"
        page.locator("#id_full_name").fill("نورة العتيبي" if arabic else "Noura Al-Otaibi")
        page.locator("#id_phone").fill(phone)
        page.locator("#id_city").select_option(city)
        page.locator("#id_district").fill("العليا" if arabic else "Al Olaya")
        page.locator("#id_street").fill("طريق الملك فهد" if arabic else "King Fahd Road")
        page.locator("#id_building_number").fill("1234")
        page.locator("#id_additional_number").fill("5678")
        page.locator("#id_postal_code").fill("12345")

    def totals(self) -> dict[str, str]:
        """The totals block (cart, checkout, order): label -> amount, normalised."""
        rows = self.page.locator("dl.totals > div")
        names = ["subtotal", "shipping", "total", "vat"]
        assert rows.count() == 4
        values = {
            name: norm(rows.nth(i).locator("dd").inner_text()) for i, name in enumerate(names)
        }
        values["vat_label"] = norm(rows.nth(3).locator("dt").inner_text())
        assert "grand" in (rows.nth(2).get_attribute("class") or "")
        assert "vat" in (rows.nth(3).get_attribute("class") or "")
        return values

    def assert_clean(self) -> None:
        """No failed image/CSS/JS requests, no console errors (e.g. CSP violations), no
        uncaught script errors and no English words on the Arabic pages screenshotted so
        far."""
        assert not self.bad_responses, self.bad_responses
        assert not self.console_errors, self.console_errors
        assert not self.page_errors, self.page_errors
        assert not self.english_on_arabic_pages, (
            f"English text on Arabic pages (step: words): {self.english_on_arabic_pages}"
        )


def pytest_sessionfinish(session, exitstatus):
    # Screenshots of a previous failure are noise once the run passes.
    if exitstatus == 0 and SCREENSHOT_DIR.is_dir():
        for stale in SCREENSHOT_DIR.glob("FAILED-*.png"):
            stale.unlink()
