"""The signed-in customer's address book."""

from apps.users.models import Address
from apps.users.tests.factories import AddressFactory

NEW_ADDRESS = {
    "label": "المكتب",
    "full_name": "نورة العتيبي",
    "phone": "٠٥٥ ١٢٣ ٤٥٦٧",
    "city": "jeddah",
    "district": "الروضة",
    "street": "شارع الأمير سلطان",
    "building_number": "4321",
    "postal_code": "23435",
    "additional_number": "",
}


def test_adding_the_first_address_makes_it_the_default(customer_client, customer):
    response = customer_client.post("/ar/account/addresses/new/", NEW_ADDRESS)

    assert response.status_code == 302
    address = Address.objects.get(user=customer)
    assert address.is_default
    assert address.phone == "+966551234567"
    assert address.label == "المكتب"


def test_a_new_default_address_replaces_the_old_one(customer_client, customer):
    old = AddressFactory(user=customer, is_default=True)

    customer_client.post("/ar/account/addresses/new/", {**NEW_ADDRESS, "make_default": "on"})

    old.refresh_from_db()
    assert not old.is_default
    assert Address.objects.get(user=customer, is_default=True).city == "jeddah"


def test_invalid_address_shows_arabic_errors(customer_client, customer, html):
    response = customer_client.post(
        "/ar/account/addresses/new/", {**NEW_ADDRESS, "postal_code": "123", "phone": "12345"}
    )

    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 2
    assert all(html.is_arabic(error) for error in errors), errors
    assert not Address.objects.exists()


def test_editing_an_address(customer_client, customer):
    address = AddressFactory(user=customer)

    response = customer_client.post(
        f"/ar/account/addresses/{address.pk}/", {**NEW_ADDRESS, "street": "شارع التحلية"}
    )

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.street == "شارع التحلية"
    assert Address.objects.count() == 1


def test_deleting_an_address(customer_client, customer):
    address = AddressFactory(user=customer)

    customer_client.post(f"/ar/account/addresses/{address.pk}/delete/")

    assert not Address.objects.filter(pk=address.pk).exists()


def test_another_customers_address_is_not_found(customer_client, other_customer):
    theirs = AddressFactory(user=other_customer)

    assert customer_client.get(f"/ar/account/addresses/{theirs.pk}/").status_code == 404
    edit = customer_client.post(f"/ar/account/addresses/{theirs.pk}/", NEW_ADDRESS)
    assert edit.status_code == 404
    assert customer_client.post(f"/ar/account/addresses/{theirs.pk}/delete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.city == "riyadh"


def test_address_book_needs_sign_in(client):
    response = client.get("/ar/account/addresses/")

    assert response.status_code == 302
    assert response.url.startswith("/ar/accounts/login/")
