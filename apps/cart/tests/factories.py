import factory

from apps.cart.models import Cart, CartLine
from apps.catalog.tests.factories import ProductFactory


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    user = None


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


def cart_with(*items) -> Cart:
    """A cart holding (product, quantity) pairs."""
    cart = CartFactory()
    for product, quantity in items:
        CartLineFactory(cart=cart, product=product, quantity=quantity)
    return cart
