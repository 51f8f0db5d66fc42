"""Account e-mails (allauth's verification, password reset and account notices) are the
shop's bilingual messages: the customer's language first, the shop's name in both languages,
HTML and plain text, every link on SHOP_BASE_URL — and the links work."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.users.models import User
from apps.users.tests.factories import UserFactory

BASE_URL = "https://shop.example.sa"
NEW_PASSWORD = "Qahwa-Najdi-77"
BLOCK = re.compile(r'<td lang="(ar|en)" dir="(rtl|ltr)"')
HREF = re.compile(r'href="([^"]+)"')
URL = re.compile(r"https?://[^\s\u2069<>\"]+")
LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"
DIRECTION = {"ar": "rtl", "en": "ltr"}


@pytest.fixture(autouse=True)
def _shop_base_url(settings):
    # Not the host the test client talks to ("testserver"): links must never use that.
    settings.SHOP_BASE_URL = BASE_URL


def signup(client, language, email="sara@example.com"):
    data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(f"/{language}/accounts/signup/", data)


def the_message(to: str):
    sent = [message for message in mail.outbox if message.to == [to]]
    assert len(sent) == 1, [message.subject for message in mail.outbox]
    return sent[0]


def check_bilingual(message, first: str, *, with_links: bool = True) -> tuple[str, str]:
    """Both languages, the reader's first; HTML and text; branded; no request host."""
    second = "en" if first == "ar" else "ar"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    text = message.body
    assert text.strip()

    assert f'<html lang="{first}" dir="{DIRECTION[first]}">' in html
    assert BLOCK.findall(html) == [(first, DIRECTION[first]), (second, DIRECTION[second])]
    # Each half of the subject isolated in its own direction, the reader's first.
    halves = message.subject.split(" · ")
    assert len(halves) == 2
    isolate = {"ar": RLI, "en": LRI}
    assert halves[0].startswith(isolate[first]) and halves[0].endswith(PDI)
    assert halves[1].startswith(isolate[second]) and halves[1].endswith(PDI)

    name = {"ar": settings.SHOP_IDENTITY["name_ar"], "en": settings.SHOP_IDENTITY["name_en"]}
    for body in (html, text):
        assert name["ar"] in body and name["en"] in body
    # In the text, the first block names the shop in its own language before the second.
    assert text.index(name[first]) < text.index(name[second])
    assert message.reply_to == [settings.SHOP_IDENTITY["email"]]

    for part in (message.subject, html, text):
        assert "testserver" not in part
        assert "Hello from" not in part  # allauth's generic greeting
    links = HREF.findall(html) + URL.findall(text)
    assert bool(links) == with_links
    assert all(link.startswith(f"{BASE_URL}/") for link in links), links
    return html, text


def links_to(body: str, fragment: str) -> list[str]:
    found = [link for link in HREF.findall(body) + URL.findall(body) if fragment in link]
    return list(dict.fromkeys(found))


def path_of(link: str) -> str:
    assert link.startswith(BASE_URL)
    return urlsplit(link).path


@pytest.mark.parametrize("language", ["ar", "en"])
def test_sign_up_sends_a_bilingual_verification_whose_link_verifies(client, catalog, language):
    signup(client, language)

    message = the_message("sara@example.com")
    html, text = check_bilingual(message, first=language)
    other = "en" if language == "ar" else "ar"
    first_links = links_to(html, f"/{language}/accounts/confirm-email/")
    other_links = links_to(html, f"/{other}/accounts/confirm-email/")
    assert len(first_links) == 1 and len(other_links) == 1  # each block in its own language
    assert first_links == links_to(text, f"/{language}/accounts/confirm-email/")
    assert html.index(first_links[0]) < html.index(other_links[0])

    path = path_of(first_links[0])
    assert client.get(path).status_code == 200  # allauth's "confirm this address" page
    response = client.post(path)

    assert response.status_code == 302
    user = User.objects.get(email="sara@example.com")
    assert EmailAddress.objects.get(user=user, email="sara@example.com").verified


def test_the_other_languages_verification_link_works_too(client, catalog):
    signup(client, "ar")
    html, _text = check_bilingual(the_message("sara@example.com"), first="ar")
    (english_link,) = links_to(html, "/en/accounts/confirm-email/")

    client.post(path_of(english_link))

    assert EmailAddress.objects.get(email="sara@example.com").verified


@pytest.mark.parametrize("language", ["ar", "en"])
def test_password_reset_is_bilingual_and_its_link_sets_a_new_password(client, catalog, language):
    user = UserFactory(email="noura@example.com", preferred_language=language)

    response = client.post(f"/{language}/accounts/password/reset/", {"email": user.email})

    assert response.status_code == 302
    html, text = check_bilingual(the_message(user.email), first=language)
    reset_links = links_to(html, f"/{language}/accounts/password/reset/key/")
    assert len(reset_links) == 1
    assert reset_links == links_to(text, f"/{language}/accounts/password/reset/key/")

    # allauth moves the key into the session, then shows the new-password form.
    response = client.get(path_of(reset_links[0]))
    assert response.status_code == 302
    form_url = response.url
    assert client.get(form_url).status_code == 200
    new_password = "Dallah-Qahwa-2027!"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_the_customers_preferred_language_comes_before_the_pages(client, catalog):
    user = UserFactory(email="noura@example.com", preferred_language="en")

    client.post("/ar/accounts/password/reset/", {"email": user.email})

    check_bilingual(the_message(user.email), first="en")


def test_an_unknown_address_is_answered_in_the_pages_language(client, catalog):
    client.post("/en/accounts/password/reset/", {"email": "nobody@example.com"})

    html, _text = check_bilingual(the_message("nobody@example.com"), first="en")
    assert links_to(html, "/en/accounts/signup/") and links_to(html, "/ar/accounts/signup/")


def test_signing_up_again_tells_the_owner_in_their_language(client, catalog):
    owner = UserFactory(email="noura@example.com", preferred_language="ar")

    signup(client, "en", email=owner.email)

    html, _text = check_bilingual(the_message(owner.email), first="ar")
    assert links_to(html, "/ar/accounts/password/reset/")


def test_a_changed_password_is_notified_in_both_languages(client, catalog, password, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    user = UserFactory(email="noura@example.com", preferred_language="en")
    client.force_login(user)

    response = client.post("/ar/accounts/password/change/", {
        "oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    html, text = check_bilingual(the_message(user.email), first="en")
    # What to do if it was not them: choose a new password, in each language.
    assert links_to(html, "/en/accounts/password/reset/")
    assert links_to(text, "/ar/accounts/password/reset/")


ALLAUTH_MAILS = [
    "email_confirmation", "email_confirmation_signup", "password_reset_key",
    "account_already_exists", "unknown_account", "login_code", "password_reset_code",
    "email_changed", "email_confirm", "email_deleted", "password_changed", "password_set",
    "password_reset",
]


@pytest.mark.parametrize("kind", ALLAUTH_MAILS)
def test_every_mail_allauth_sends_is_the_shops(kind, db):
    """Each of allauth 65's account mails has the shop's bilingual templates."""
    user = UserFactory(email="noura@example.com", preferred_language="en")
    context = {
        "user": user, "email": user.email, "code": "Q7K2-9XZ" if "code" in kind else "",
        "activate_url": "http://testserver/ar/accounts/confirm-email/KEY/",
        "password_reset_url": "http://testserver/ar/accounts/password/reset/",
        "signup_url": "http://testserver/ar/accounts/signup/",
        "from_email": "old@example.com", "to_email": user.email,
        "deleted_email": "old@example.com",
        "timestamp": timezone.now(), "ip": "203.0.113.9", "user_agent": "Firefox",
    }

    message = get_adapter().render_mail(f"account/email/{kind}", user.email, context)

    # A code is typed in, not followed: those mails carry no link.
    html, text = check_bilingual(message, first="en", with_links="code" not in kind)
    if "code" in kind:
        assert "Q7K2-9XZ" in html and "Q7K2-9XZ" in text
    if kind in ("email_changed", "email_deleted"):
        assert "old@example.com" in html and "old@example.com" in text


# --- the account pages' buttons ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/ar/accounts/login/", "/en/accounts/signup/",
                                  "/ar/accounts/password/reset/"])
def test_account_pages_use_the_shops_filled_primary_button(client, catalog, path):
    page = client.get(path).content.decode()

    assert 'href="/static/css/account.css"' in page
    assert re.search(r'<button\s+class="button primary"[^>]*type="submit"', page)
