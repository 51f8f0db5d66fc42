"""django-allauth, the shop's way: the cart survives signing in, and account e-mails
(verification, password reset, notices of a changed password or address) are the shop's
bilingual, branded messages, built like the order e-mails (`apps.core.bilingual`).

Every account e-mail allauth sends goes through `render_mail`: its templates
(`templates/account/email/<kind>_subject.txt`, `_message.html`, `_message.txt`) are rendered
once per language — the reader's first (their `preferred_language`, else the language of the
page they were on), then the other one — and every link in the message (`activate_url`,
`password_reset_url`, `signup_url`, …) is rebuilt on `SHOP_BASE_URL` with each language's
prefix, never on the host of the request that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse, translate_url
from django.utils import translation

from apps.cart.services import SESSION_KEY, merge_anonymous_cart
from apps.core.bilingual import absolute_url, render_bilingual, shop_identity


@dataclass(frozen=True)
class ShopSite:
    """What allauth calls the "current site", for its templates: the shop's name in the
    active language and the domain of SHOP_BASE_URL, never the request's host."""

    name: str
    domain: str

    def __str__(self) -> str:
        return self.name


def shop_site(lang: str | None = None) -> ShopSite:
    lang = (lang or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    domain = urlsplit(settings.SHOP_BASE_URL).netloc
    return ShopSite(name=shop_identity(lang)["name"], domain=domain)


def shop_link(url: str, lang: str) -> str:
    """`url` (absolute or a path) on SHOP_BASE_URL, in `lang`: /ar/accounts/… becomes
    https://shop…/en/accounts/… for the English block."""
    parts = urlsplit(url)
    path = parts.path or "/"
    source = translation.get_language_from_path(path) or translation.get_language()
    with translation.override(source):
        path = translate_url(path, lang)  # unchanged when it is not one of our routes
    return absolute_url(urlunsplit(("", "", path, parts.query, parts.fragment)))


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user) -> None:
        # Read the anonymous cart before login rotates the session, then merge it explicitly.
        session_cart_id = request.session.get(SESSION_KEY)
        super().login(request, user)
        merge_anonymous_cart(session_cart_id=session_cart_id, user=user)
        request.session.pop(SESSION_KEY, None)

    def save_user(self, request, user, form, commit=True):
        user.preferred_language = (translation.get_language() or "ar")[:2]
        return super().save_user(request, user, form, commit=commit)

    # --- e-mails ----------------------------------------------------------------------------

    def format_email_subject(self, subject: str) -> str:
        # allauth would prefix "[<host>] " when ACCOUNT_EMAIL_SUBJECT_PREFIX is unset.
        return f"{app_settings.EMAIL_SUBJECT_PREFIX or ''}{subject}"

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        # allauth leaves the user out of a notice's context; the reader's language needs it.
        super().send_notification_mail(
            template_prefix, user, {**(context or {}), "user": user}, email=email
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        ctx = {"email": email, **context, "current_site": shop_site()}
        self.render_mail(template_prefix, email, ctx).send()

    def render_mail(self, template_prefix, email, context, headers=None):
        try:
            get_template(f"{template_prefix}_message.html")
        except TemplateDoesNotExist:
            # A message allauth added later, which the shop has not worded: allauth's own text.
            return super().render_mail(template_prefix, email, context, headers=headers)

        links = {
            key: value
            for key, value in context.items()
            if key.endswith("_url") and isinstance(value, str) and value
        }

        def block_context(lang: str) -> dict[str, Any]:
            return {
                **context,
                **{key: shop_link(url, lang) for key, url in links.items()},
                "current_site": shop_site(lang),
                "forgot_password_url": absolute_url(reverse("account_reset_password")),
            }

        def subject(lang: str) -> str:
            text = render_to_string(f"{template_prefix}_subject.txt", block_context(lang))
            return " ".join(text.split())

        message = render_bilingual(
            language=self.reader_language(context, email),
            html_template=f"{template_prefix}_message.html",
            text_template=f"{template_prefix}_message.txt",
            context=block_context,
            subject=subject,
        )
        to = [email] if isinstance(email, str) else list(email)
        mail = EmailMultiAlternatives(
            self.format_email_subject(message.subject),
            message.text,
            self.get_from_email(),
            to,
            headers=headers,
            reply_to=[settings.SHOP_IDENTITY["email"]],  # customer care answers replies
        )
        mail.attach_alternative(message.html, "text/html")
        return mail

    def reader_language(self, context: dict[str, Any], email) -> str:
        """The customer's language: their `preferred_language`, else the page's language."""
        user = context.get("user")
        if user is None and isinstance(email, str):
            address = EmailAddress.objects.filter(email__iexact=email).select_related("user")
            user = next((found.user for found in address[:1]), None)
        preferred = getattr(user, "preferred_language", "") or ""
        return preferred or (translation.get_language() or settings.LANGUAGE_CODE)[:2]
