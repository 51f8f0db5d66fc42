"""The shop's own error pages: in the URL's language (Arabic right to left by default),
in the shop's design, with a search box and links home."""

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def page(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.parametrize(("path", "lang", "heading"), [
    ("/ar/no-such-page/", "ar", "لم نعثر على هذه الصفحة"),
    ("/en/no-such-page/", "en", "We could not find this page"),
    ("/xx/no-such-page/", "ar", "لم نعثر على هذه الصفحة"),
    ("/ar/account/orders/GE-0000-000000/documents/INV-1/", "ar", None),
])
def test_not_found_in_the_urls_language(client, settings, catalog, path, lang, heading):
    settings.DEBUG = False
    response = client.get(path, follow=True)

    assert response.status_code == 404 or response.redirect_chain
    if response.status_code != 404:
        return  # a signed-out visitor is sent to sign in first
    soup = page(response)
    assert soup.html["lang"] == lang
    assert soup.html["dir"] == ("rtl" if lang == "ar" else "ltr")
    if heading:
        assert soup.h1.get_text(strip=True) == heading
    assert soup.select_one("header.site-header") is not None  # the shop's design
    assert soup.select_one("form.error-search input[name=q]") is not None
    assert soup.select_one(f'.error-links a[href="/{lang}/"]') is not None


def test_forbidden_is_the_shops_page_too(client, settings, rf):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    from apps.core.views import permission_denied

    settings.DEBUG = False
    request = rf.get("/ar/")
    request.session = {}
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with translation.override("ar"):
        response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    soup = page(response)
    assert soup.html["dir"] == "rtl"
    assert soup.select_one("form.error-search") is not None
