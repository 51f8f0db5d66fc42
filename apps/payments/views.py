import logging
from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_update

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.cart.services import get_or_create_cart
from apps.core.ratelimits import limited
from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import order_for_customer, order_for_guest_token
from apps.orders.services import IllegalTransition, cancel_unpaid_order
from apps.payments import gateway
from apps.payments.messages import decline_messages, failure_message
from apps.payments.models import PaymentStatus
from apps.payments.services import PaymentNotPossible
from apps.payments.services.fulfilment import refresh_payment
from apps.payments.services.intents import start_payment
from apps.payments.services.reconciliation import cancel_open_payments
from apps.payments.webhooks import process_webhook
from apps.pricing.selectors import delivery_window

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """POST /payments/webhook/stripe/: outside the language prefixes, never redirected."""
    result = process_webhook(
        payload=request.body, signature_header=request.headers.get("Stripe-Signature")
    )
    return HttpResponse(
        result.detail, status=result.status_code, content_type="text/plain; charset=utf-8"
    )


def _order_for_request(request, number: str) -> Order | None:
    """The signed-in customer's own order, or a guest's order through its signed token."""
    if request.user.is_authenticated:
        order = order_for_customer(user=request.user, number=number)
        if order is not None:
            return order
    token = request.GET.get("token") or request.POST.get("token")
    if token:
        order = order_for_guest_token(token)
        if order is not None and order.number == number:
            return order
    return None


def _order_page(order: Order, token: str | None) -> str:
    return order.get_guest_url() if token else order.get_absolute_url()


def _with_token(url: str, token: str | None) -> str:
    return f"{url}?{urlencode({'token': token})}" if token else url


# Stripe.js and its frames (Payment Element, 3-D Secure) and nothing else foreign.
_allow_stripe = csp_update({
    "script-src": ["https://js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
})


def stripe_csp(view):
    """The page may load Stripe.js from Stripe; a Stripe.js served by the shop itself (the
    offline stand-in) needs no foreign origin, so the storefront's own policy stays."""
    with_stripe = _allow_stripe(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if gateway.stripe_js_url().startswith("https://js.stripe.com/"):
            return with_stripe(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped


@stripe_csp
@require_http_methods(["GET"])
def pay(request, number: str):
    """The order's payment page: summary + Stripe's Payment Element, mounted and confirmed by
    static/payments/pay.js with Stripe.js loaded from `gateway.stripe_js_url()`. The card data
    never reaches our server; Stripe sends the shopper to the return page."""
    order = _order_for_request(request, number)
    if order is None:
        raise Http404
    token = request.GET.get("token")
    context = {"order": order, "token": token or "", "hide_unpaid_banner": True,
               "publishable_key": gateway.publishable_key(),
               "stripe_js_url": gateway.stripe_js_url(),
               "generic_error": failure_message(None),
               "decline_messages": decline_messages()}
    try:
        payment = start_payment(order=order)
    except PaymentNotPossible as error:
        messages.info(request, str(error))
        return redirect(_order_page(order, token))
    except gateway.PaymentGatewayError as error:
        # Stripe unreachable or refusing: the order stays payable, the shopper can retry.
        context["error"] = error.user_message
        return render(request, "payments/pay.html", context)
    if payment.status == PaymentStatus.FAILED:
        context["error"] = failure_message(payment.failure_code, payment.decline_code)
    context.update(
        payment=payment,
        return_url=request.build_absolute_uri(
            _with_token(reverse("payments:pay_return", kwargs={"number": order.number}), token)
        ),
    )
    return render(request, "payments/pay.html", context)


@require_http_methods(["GET"])
def pay_return(request, number: str):
    """Where Stripe.js sends the shopper after confirmPayment.

    Reads the PaymentIntent from Stripe on the server and applies it with the webhook's own
    fulfilment function; `redirect_status` and the other query parameters are never used."""
    order = _order_for_request(request, number)
    if order is None:
        raise Http404
    token = request.GET.get("token") or ""
    payment = order.payments.order_by("-sequence").first()
    if payment is None:
        return redirect(_with_token(reverse("payments:pay", kwargs={"number": number}), token))
    error = None
    try:
        result = refresh_payment(payment=payment)
    except gateway.PaymentGatewayError as exc:
        error = exc.user_message
    else:
        if result is not None:
            payment = result.payment
    order.refresh_from_db()
    payment.refresh_from_db()
    if payment.is_paid:
        outcome = "succeeded"
    elif payment.status in (PaymentStatus.PROCESSING,) or error:
        outcome = "processing"
    elif payment.status == PaymentStatus.PENDING:
        # Not confirmed at all (the shopper came here directly): back to the payment page.
        return redirect(_with_token(reverse("payments:pay", kwargs={"number": number}), token))
    elif payment.status == PaymentStatus.REQUIRES_ACTION:
        # The bank's check was left unfinished.
        outcome = "failed"
        error = failure_message("authentication_required")
    elif payment.status == PaymentStatus.CANCELED or order.status == OrderStatus.CANCELLED:
        outcome = "failed"
        error = _("This order was cancelled and can no longer be paid.")
    else:
        outcome = "failed"
        error = failure_message(payment.failure_code, payment.decline_code)
    context = {
        "order": order,
        "payment": payment,
        "outcome": outcome,
        "error": error,
        "token": token,
        "order_url": _order_page(order, token),
        # "Try again" only while the order can still be paid.
        "retry_url": _with_token(reverse("payments:pay", kwargs={"number": number}), token)
        if order.is_awaiting_payment else "",
        "delivery_window": delivery_window(order.city),
        "invoice": order.tax_documents.filter(kind="invoice").first(),
    }
    return render(request, "payments/pay_return.html", context)


@require_POST
@limited("checkout")
def cancel_unpaid(request, number: str):
    """"Cancel and return the items to my cart": the order is cancelled (its stock goes
    back), its items go back into this visitor's cart, and its open PaymentIntents are
    cancelled at Stripe after commit, so it can no longer be paid."""
    order = _order_for_request(request, number)
    if order is None:
        raise Http404
    cart = get_or_create_cart(request)
    try:
        order = cancel_unpaid_order(order_id=order.pk, cart=cart,
                                    actor=request.user if request.user.is_authenticated else None)
    except IllegalTransition:
        messages.error(request, _("This order can no longer be cancelled: it is not awaiting "
                                  "payment any more."))
        return redirect(_order_page(order, request.POST.get("token")))
    transaction.on_commit(lambda: _cancel_at_stripe(order))
    messages.success(request, _("Order %(number)s is cancelled and its items are back in your "
                                "cart.") % {"number": order.number})
    return redirect("cart:detail")


def _cancel_at_stripe(order: Order) -> None:
    try:
        cancel_open_payments(order=order)
    except gateway.PaymentGatewayError:
        # reconcile_payments cancels the open intents of cancelled orders later.
        logger.warning("Order %s: its PaymentIntent could not be cancelled now", order.number,
                       exc_info=True)
