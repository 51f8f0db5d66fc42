"""What Stripe.js asks of Stripe, answered by the sandbox: the Payment Element's content and
the confirmation of a PaymentIntent from the browser.

Like Stripe's own browser API these endpoints take no cookie and no CSRF token: a request is
authorised by the publishable key and the PaymentIntent's client secret. Errors have
Stripe's shape (`type`, `code`, `decline_code`, `message`), the message in the `locale` the
page gave Stripe.js.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.core.ratelimits import limited
from apps.payments.messages import failure_message
from apps.stripe_sandbox import engine
from apps.stripe_sandbox.cards import LISTED_CARDS, InvalidCardNumber
from apps.stripe_sandbox.models import SandboxRequest
from apps.stripe_sandbox.services import (
    StripeErrorResponse,
    sandbox_complete_3ds,
    sandbox_confirm,
)

LANGUAGES = {"ar", "en"}


def _language(request) -> str:
    locale = (request.GET.get("locale") or request.POST.get("locale") or "").lower()[:2]
    return locale if locale in LANGUAGES else "en"


def _error(status: int, error: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"error": error}, status=status)


@require_GET
def payment_element(request) -> HttpResponse:
    """The Payment Element's content (Stripe serves it in an iframe, in the page's locale):
    the sandbox's test cards, a card number field and the bank's 3-D Secure challenge."""
    with translation.override(_language(request)):
        cards = [(card.spaced, label) for card, label in LISTED_CARDS]
        response = render(request, "stripe_sandbox/payment_element.html", {
            "cards": cards,
            # Kept left to right as one unit inside the (Arabic) sentence.
            "first_card": format_html('<bdi dir="ltr" class="card-number">{}</bdi>',
                                      cards[0][0]),
        })
    response["Cache-Control"] = "no-store"
    return response


def _intent_for_browser(intent: dict[str, Any]) -> dict[str, Any]:
    """What Stripe shows a publishable key: the PaymentIntent without server-only fields."""
    hidden = {"metadata", "customer", "application", "transfer_data", "on_behalf_of",
              "review", "customer_account"}
    return {key: value for key, value in intent.items() if key not in hidden}


def _stripe_error(error: dict[str, Any], intent: dict[str, Any] | None = None) -> dict:
    answer = {
        "type": error.get("type") or "invalid_request_error",
        "code": error.get("code"),
        "decline_code": error.get("decline_code"),
        "doc_url": error.get("doc_url"),
        "message": failure_message(error.get("code"), error.get("decline_code")),
        "param": error.get("param"),
    }
    intent = intent or error.get("payment_intent")
    if isinstance(intent, dict):
        answer["payment_intent"] = _intent_for_browser(intent)
        if error.get("code") == "payment_intent_unexpected_state":
            from django.utils.translation import gettext as _

            if intent.get("status") in ("succeeded", "processing"):
                answer["message"] = _("This order is already paid.")
            elif intent.get("status") == "canceled":
                answer["message"] = _("This order was cancelled and can no longer be paid.")
    return {key: value for key, value in answer.items() if value is not None}


@csrf_exempt
@require_POST
@limited("stripe_confirm")
def confirm_payment_intent(request, intent_id: str) -> JsonResponse:
    """POST /stripe-sandbox/v1/payment_intents/<id>/confirm, as Stripe.js sends it for
    `stripe.confirmPayment`: the card from the element (or the card holder's answer to the
    3-D Secure challenge), authorised by the publishable key and the client secret."""
    response = _confirm(request, intent_id)
    # Kept in the request log beside the server's API calls, as Stripe's Dashboard shows
    # Stripe.js requests: tests read what the browser really sent. Never the whole card
    # number or the client secret.
    def clean(value: str) -> str:  # PostgreSQL keeps no NUL in text
        return value.replace("\x00", "")[:255]

    card = request.POST.get("card_number", "").replace(" ", "")
    params = {key: clean(request.POST[key]) for key in ("return_url", "three_ds", "locale")
              if request.POST.get(key)}
    if card:
        params["card_last4"] = clean(card[-4:])
    SandboxRequest.objects.create(
        source="browser", method="POST", path=clean(f"/v1/payment_intents/{intent_id}/confirm"),
        params=params, status=response.status_code,
    )
    return response


def _confirm(request, intent_id: str) -> JsonResponse:
    with translation.override(_language(request)):
        key = request.POST.get("key", "")
        client_secret = request.POST.get("client_secret", "")
        if not key.startswith("pk_test_"):
            return _error(401, {"type": "invalid_request_error", "message":
                                "Invalid API Key provided: the sandbox takes pk_test_ keys."})
        intent = engine.load("payment_intent", intent_id)
        if intent is None or not client_secret or client_secret != intent["client_secret"]:
            # Stripe answers 404; 400 here, or the language middleware would redirect an
            # unprefixed 404 to /ar/…
            return _error(400, _stripe_error({"code": "resource_missing",
                                              "type": "invalid_request_error"}) | {
                "message": translation.gettext(
                    "This payment could not be found. Please reload the page."
                ),
            })
        three_ds = request.POST.get("three_ds") or None
        try:
            if three_ds:
                intent = sandbox_complete_3ds(intent_id, three_ds)
            else:
                intent = sandbox_confirm(intent_id, request.POST.get("card_number", ""))
        except InvalidCardNumber:
            return _error(400, _stripe_error({"type": "validation_error",
                                              "code": "incorrect_number"}))
        except StripeErrorResponse as exc:
            return _error(exc.status, _stripe_error(exc.error))
        error = intent.get("last_payment_error")
        if intent["status"] == "requires_payment_method" and error:
            return _error(402, _stripe_error(error, intent))
        return JsonResponse(_intent_for_browser(intent))
