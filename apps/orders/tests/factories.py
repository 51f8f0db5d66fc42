def checkout_form_data(**overrides) -> dict[str, str]:
    """What a shopper types into the checkout form (a Riyadh address)."""
    data = {"email": "guest@example.com", **delivery_address(phone="05 1234 5678")}
    data.update(overrides)
    return data


def delivery_address(**overrides) -> dict[str, str]:
    """A clean (already normalised) delivery address, as place_order receives it."""
    data = {
        "full_name": "نورة العتيبي",
        "phone": "+966512345678",
        "city": "riyadh",
        "district": "العليا",
        "street": "طريق الملك فهد",
        "building_number": "1234",
        "postal_code": "12211",
        "additional_number": "",
    }
    data.update(overrides)
    return data


def order_for(*items, user=None, email="guest@example.com", language="ar"):
    """An order placed through the checkout service for (product, quantity) pairs."""
    from apps.cart.tests.factories import cart_with
    from apps.orders.services import Contact, place_order

    return place_order(
        cart=cart_with(*items),
        address=delivery_address(),
        contact=Contact(email=user.email if user else email, language=language),
        user=user,
    )
