from django import template

from apps.pricing.selectors import zone_for_city

register = template.Library()


@register.simple_tag
def delivery_terms():
    """`{% delivery_terms as terms %}`: the default zone's delivery price and free-shipping
    threshold, for the product page's delivery note (None without a default zone)."""
    return zone_for_city(None)
