"""`manage.py seed_demo` builds the bilingual demo shop, and running it again changes nothing."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Locale, Site

from apps.catalog.models import CategoryPage, HomePage, Product, ProductPage
from apps.demo.management.commands.seed_demo import STAFF_ACCOUNTS
from apps.pricing.models import ShippingZone
from apps.users.models import User

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "products": Product.objects.count(),
        "images": get_image_model().objects.count(),
        "home ar": HomePage.objects.filter(locale__language_code="ar").count(),
        "home en": HomePage.objects.filter(locale__language_code="en").count(),
        "categories ar": CategoryPage.objects.live().filter(locale__language_code="ar").count(),
        "categories en": CategoryPage.objects.live().filter(locale__language_code="en").count(),
        "product pages ar": ProductPage.objects.live().filter(locale__language_code="ar").count(),
        "product pages en": ProductPage.objects.live().filter(locale__language_code="en").count(),
        "zones": ShippingZone.objects.count(),
        "users": User.objects.count(),
        "sites": Site.objects.count(),
    }


@pytest.fixture
def queued_tasks(settings):
    # As with `make run`, Wagtail's index updates are queued for the worker, not run inline.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_seed_demo_is_idempotent_and_bilingual(client, queued_tasks):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    assert "Demo shop ready" in out.getvalue()

    call_command("seed_demo", stdout=io.StringIO())

    assert counts() == first
    assert first["products"] >= 12
    assert first["categories ar"] == first["categories en"] == 3
    assert first["product pages ar"] == first["product pages en"] == first["products"]
    assert first["home ar"] == first["home en"] == 1
    assert first["sites"] == 1
    assert ShippingZone.objects.filter(is_default=True).count() == 1
    # every product page has its English translation, with an English title
    english_locale = Locale.objects.get(language_code="en")
    for page in ProductPage.objects.filter(locale__language_code="ar"):
        english = page.get_translation_or_none(english_locale)
        assert english is not None and english.title != page.title
    # the demo accounts can sign in
    assert EmailAddress.objects.filter(verified=True).count() == 5
    assert User.objects.filter(is_staff=True).count() == 1
    # staff of each admin group: Support views, Refunds refunds, Managers approve
    for email, password, _group, _name in STAFF_ACCOUNTS:
        assert password in out.getvalue()
        user = User.objects.get(email=email)
        assert user.has_perm("wagtailadmin.access_admin") and not user.is_superuser
        # a whole name, so the admin's account page saves (e.g. the admin language)
        assert user.first_name and user.last_name
    assert not User.objects.get(email="support@gulf-emperor.example").has_perm(
        "payments.issue_refund")
    assert User.objects.get(email="manager@gulf-emperor.example").has_perm(
        "payments.approve_refund")
    # and the shop is browsable in both languages
    for url in ("/ar/", "/en/", "/ar/perfumes/", "/en/coffee/"):
        assert client.get(url).status_code == 200, url
