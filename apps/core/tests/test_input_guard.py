"""NUL bytes, other control characters and over-long values in any URL, query string or form
field get a clear 400 (or 404 for a path) page in the visitor's language, never a 500: one
guard (apps.core.middleware.InputGuardMiddleware) in front of every view, walked here over
every URL pattern of the project."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "nul": "abc\x00def",
    "control": "abc\x01\x1bdef",
    "long": "x" * 10_000,
}
SAMPLE = {"int": "1", "str": "GE-2026-000001", "path": "perfumes", "slug": "x", "uuid":
          "3f1c0c2e-7c1b-4b55-9d60-3a1d0e0b5a11"}


def every_url() -> list[tuple[str, bool]]:
    """(sample URL, is it an admin URL) for every pattern, parameters filled in, with the
    Arabic prefix for the language-prefixed ones."""
    found: list[tuple[str, bool]] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                with translation.override("ar"):
                    walk(pattern.url_patterns, prefix + _fill(str(pattern.pattern)))
            elif isinstance(pattern, URLPattern):
                found.append(("/" + (prefix + _fill(route)).lstrip("^").lstrip("/"), False))

    walk(get_resolver().url_patterns, "")
    urls = []
    for url, _admin in found:
        url = re.sub(r"[\^$]|\\Z|\(\?P<\w+>[^)]*\)|\\", "", url)  # regex patterns: plain
        if "<" in url or not url.startswith("/"):
            continue
        urls.append((url, url.startswith(("/admin/", "/django-admin/"))))
    return sorted(set(urls))


def _fill(route: str) -> str:
    route = route.replace("ar/", "ar/") if route else route
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)


URLS = every_url()


def test_the_walk_covers_the_storefront():
    paths = [url for url, _admin in URLS]
    for expected in ("/ar/checkout/", "/ar/cart/add/1/", "/ar/orders/GE-2026-000001/pay/",
                     "/ar/account/orders/GE-2026-000001/", "/ar/search/",
                     "/payments/webhook/stripe/", "/ar/accounts/login/"):
        assert expected in paths, expected
    assert len(paths) > 40


# Machine endpoints called with GET (settings.MACHINE_ENDPOINTS), outside the storefront.
PROBES = {"/health/live/", "/health/ready/", "/metrics"}


@pytest.mark.parametrize("kind", BAD_VALUES)
@pytest.mark.parametrize(("url", "admin"), URLS)
def test_a_bad_query_value_is_refused_never_a_500(client, url, admin, kind):
    if admin and kind == "long":
        pytest.skip("the admin takes long values (rich text)")
    response = client.get(url, {"q": BAD_VALUES[kind], "page": BAD_VALUES[kind]})
    if url in PROBES:
        # The probes and Prometheus' scrape read no query string: they answer as ever.
        assert response.status_code in (200, 401), (url, response.status_code)
        return
    assert response.status_code == 400, (url, response.status_code)


@pytest.mark.parametrize("kind", BAD_VALUES)
@pytest.mark.parametrize(("url", "admin"), URLS)
def test_a_bad_form_value_is_refused_never_a_500(client, url, admin, kind):
    if admin and kind == "long":
        pytest.skip("the admin takes long values (rich text)")
    value = BAD_VALUES[kind]
    response = client.post(url, {"quantity": value, "email": value, "login": value,
                                 "client_secret": value, "card_number": value})
    assert response.status_code == 400, (url, response.status_code)


@pytest.mark.parametrize("bad", ["%00", "%01", "a%1Fb"])
@pytest.mark.parametrize("url", ["/ar/orders/{}/pay/", "/ar/account/orders/{}/",
                                 "/ar/orders/track/{}/", "/ar/cart/add/{}/", "/ar/{}/",
                                 "/stripe-sandbox/v1/payment_intents/{}/confirm",
                                 "/payments/webhook/stripe/{}"])
def test_a_control_character_in_the_path_is_not_found(client, url, bad):
    response = client.get(url.format(bad))
    assert response.status_code == 404


def test_the_refusal_is_a_page_in_the_visitors_language(client, html):
    arabic = client.get("/ar/search/", {"q": "\x00"})
    english = client.get("/en/search/", {"q": "\x00"})

    assert arabic.status_code == english.status_code == 400
    assert html.soup(arabic).html["lang"] == "ar" and html.soup(arabic).html["dir"] == "rtl"
    assert html.is_arabic(html.soup(arabic).h1.get_text())
    assert html.soup(english).html["dir"] == "ltr"
    assert "could not understand" in html.soup(english).h1.get_text()
    assert html.soup(arabic).select_one("form[role=search]") is not None
