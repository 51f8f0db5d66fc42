from django import template

from apps.cart.forms import AddToCartForm

register = template.Library()


@register.simple_tag
def add_to_cart_form(product) -> AddToCartForm:
    """`{% add_to_cart_form product as add_form %}`: the empty "Add to cart" form of a
    product page (a page shown again after an error brings its own bound form)."""
    return AddToCartForm(product=product)
