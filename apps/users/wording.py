"""Strings shown by Django and django-allauth whose Arabic we word ourselves.

Marking them here keeps them in our catalogue (`make messages` would drop them otherwise):
our `locale/` takes priority over the packages' own translations.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

SHOP_WORDING = [
    gettext_noop("Signup"),
    gettext_noop("Sign Up"),
    gettext_noop("Email"),
    gettext_noop("Email address"),
]

# Django 5.2 reworded this validator message; its Arabic catalogue has not caught up yet.
PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    8,
)
