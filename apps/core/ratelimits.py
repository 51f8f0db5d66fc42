"""Abuse limits on the storefront's costly or guessable actions, through django-ratelimit.

Counted in the "shared" cache (the database by default, Redis with REDIS_URL), so a limit
holds across gunicorn workers and machines. Going over one answers the translated 429 page
(`apps.core.views.rate_limited`, through django-ratelimit's middleware). The rates live in
`settings.SHOP_RATE_LIMITS` and are read per request.
"""

from collections.abc import Callable

from django.conf import settings
from django_ratelimit.decorators import ratelimit


def _rate(name: str) -> Callable:
    def rate(group, request) -> str:
        return settings.SHOP_RATE_LIMITS[name]

    return rate


def limited(name: str, *, key: str = "ip", method: str | list[str] = "POST"):
    """View decorator: at most SHOP_RATE_LIMITS[name] requests per visitor (`key`: "ip", or
    e.g. "post:email" for the e-mail address a form sends)."""
    return ratelimit(group=f"shop.{name}.{key}", key=key, rate=_rate(name), method=method,
                     block=True)
