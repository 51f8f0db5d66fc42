"""Signing up and in with django-allauth, in the shopper's language."""

from allauth.account.models import EmailAddress
from django.core import mail

from apps.users.models import User
from apps.users.tests.factories import UserFactory


def signup(client, language="ar", **fields):
    password = "Qahwa-Najdi-77"
    data = {"email": "sara@example.com", "password1": password, "password2": password}
    data.update(fields)
    return client.post(f"/{language}/accounts/signup/", data)


def test_signup_remembers_the_language_and_asks_to_confirm_the_email(client, catalog):
    response = signup(client, "ar")

    assert response.status_code == 302
    user = User.objects.get(email="sara@example.com")
    assert user.preferred_language == "ar"
    assert not EmailAddress.objects.get(user=user).verified
    assert [message.to for message in mail.outbox] == [["sara@example.com"]]


def test_signup_in_english_keeps_english(client, catalog):
    signup(client, "en")

    assert User.objects.get(email="sara@example.com").preferred_language == "en"


def test_weak_password_is_refused_in_arabic(client, catalog, html):
    response = signup(client, "ar", password1="123", password2="123")

    assert response.status_code == 200
    errors = html.texts(response, "errorlist")
    assert errors, "no error shown"
    assert all(html.is_arabic(error) for error in errors), errors
    assert not User.objects.filter(email="sara@example.com").exists()


def test_same_email_cannot_sign_up_twice(client, catalog, customer):
    # allauth answers as for a new address (no account enumeration) and e-mails the owner
    response = signup(client, "en", email=customer.email.upper())

    assert response.status_code == 302
    assert User.objects.filter(email__iexact=customer.email).count() == 1
    assert [message.to for message in mail.outbox] == [[customer.email]]


def test_unverified_email_cannot_sign_in(client, catalog, password):
    user = UserFactory(email="new@example.com", verified_email=False)

    response = client.post("/ar/accounts/login/", {"login": user.email, "password": password})

    # allauth holds the login until the address is confirmed
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response.url
    assert "_auth_user_id" not in client.session


def test_verified_customer_signs_in_to_their_orders(client, catalog, customer, password):
    response = client.post("/ar/accounts/login/", {"login": customer.email, "password": password})

    assert response.status_code == 302
    assert response.url == "/ar/account/orders/"
    assert int(client.session["_auth_user_id"]) == customer.pk
