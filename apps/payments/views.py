from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.middleware import csp_allow
from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import order_for_customer, order_for_guest_token
from apps.payments import gateway
from apps.payments.forms import SandboxCardForm
from apps.payments.messages import decline_messages, failure_message, sandbox_test_cards
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import PaymentNotPossible, refresh_payment, start_payment
from apps.payments.webhooks import process_webhook


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
_allow_stripe = csp_allow(
    script_src=["https://js.stripe.com"],
    frame_src=["https://js.stripe.com", "https://hooks.stripe.com"],
    connect_src=["https://api.stripe.com"],
)


def stripe_csp(view):
    """The page may load Stripe.js; in the sandbox it loads nothing foreign, so the
    storefront's own policy stays."""
    with_stripe = _allow_stripe(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.STRIPE_SANDBOX:
            return view(request, *args, **kwargs)
        return with_stripe(request, *args, **kwargs)

    return wrapped


@stripe_csp
@require_http_methods(["GET", "POST"])
def pay(request, number: str):
    """The order's payment page: summary + Stripe's Payment Element (static/payments/pay.js),
    or in the sandbox its stand-in (static/payments/sandbox-stripe.js) over a server-side
    card form that also works without JavaScript."""
    order = _order_for_request(request, number)
    if order is None:
        raise Http404
    token = request.GET.get("token") or request.POST.get("token")
    context = {"order": order, "token": token or "", "sandbox": settings.STRIPE_SANDBOX,
               "publishable_key": gateway.publishable_key(),
               "generic_error": failure_message(None),
               "decline_messages": decline_messages()}
    if settings.STRIPE_SANDBOX:
        context["test_cards"] = sandbox_test_cards()
        # Kept left to right as one unit inside the (Arabic) sentence.
        context["test_card"] = format_html('<bdi dir="ltr" class="card-number">{}</bdi>',
                                           context["test_cards"][0][0])
    try:
        payment = start_payment(order=order)
    except PaymentNotPossible as error:
        messages.info(request, str(error))
        return redirect(_order_page(order, token))
    except gateway.PaymentGatewayError as error:
        # Stripe unreachable or refusing: the order stays payable, the shopper can retry.
        context["error"] = error.user_message
        return render(request, "payments/pay.html", context)

    form = SandboxCardForm(request.POST or None)
    if request.method == "POST":
        if not settings.STRIPE_SANDBOX:
            raise Http404
        if form.is_valid():
            result = _sandbox_attempt(payment, form.cleaned_data)
            if isinstance(result, str):
                form.add_error("card_number", result)
            else:
                payment = result
                if payment.is_paid:
                    messages.success(request, _("Thank you! Your payment was received."))
                    return redirect(_order_page(order, token))
    if payment.status == PaymentStatus.FAILED and "error" not in context:
        context["error"] = failure_message(payment.failure_code, payment.decline_code)
    context.update(
        payment=payment,
        form=form,
        return_url=request.build_absolute_uri(
            _with_token(reverse("payments:pay_return", kwargs={"number": order.number}), token)
        ),
        sandbox_confirm_url=reverse("payments:sandbox_confirm", kwargs={"number": order.number}),
    )
    return render(request, "payments/pay.html", context)


@require_http_methods(["GET"])
def pay_return(request, number: str):
    """Where Stripe (or the sandbox stand-in) sends the shopper after confirmPayment.

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
    }
    return render(request, "payments/pay_return.html", context)


@require_POST
def sandbox_confirm(request, number: str):
    """The sandbox's stand-in for the Stripe.js call that confirms a PaymentIntent (used by
    static/payments/sandbox-stripe.js). Like Stripe.js it is authorised by the intent's
    client secret, and it answers errors in the page's language."""
    if not settings.STRIPE_SANDBOX:
        raise Http404
    from apps.payments.sandbox.services import (
        InvalidCardNumber,
        StripeErrorResponse,
        sandbox_complete_3ds,
    )
    from apps.payments.sandbox.services import sandbox_confirm as confirm

    client_secret = request.POST.get("client_secret", "")
    payment = (
        Payment.objects.filter(order__number=number, client_secret=client_secret)
        .exclude(client_secret="")
        .first()
    )
    if payment is None:
        # Not this order's payment (or a stale page): Stripe.js would answer the same.
        return JsonResponse({"error": {
            "type": "invalid_request_error", "code": "resource_missing",
            "message": _("This payment could not be found. Please reload the page."),
        }}, status=404)
    outcome = request.POST.get("three_ds") or None
    try:
        if outcome:
            intent = sandbox_complete_3ds(payment.stripe_payment_intent_id, outcome)
        else:
            intent = confirm(payment.stripe_payment_intent_id, request.POST.get("card_number", ""))
    except InvalidCardNumber:
        return JsonResponse({"error": {"type": "validation_error", "code": "incorrect_number",
                                       "message": failure_message("incorrect_number")}},
                            status=400)
    except StripeErrorResponse as exc:
        return JsonResponse({"error": _confirm_error(exc.error)}, status=exc.status)
    summary = {"id": intent["id"], "status": intent["status"]}
    error = intent.get("last_payment_error")
    if intent["status"] == "requires_payment_method" and error:
        return JsonResponse({"payment_intent": summary, "error": {
            "type": error.get("type"), "code": error.get("code"),
            "decline_code": error.get("decline_code"),
            "message": failure_message(error.get("code"), error.get("decline_code")),
        }}, status=402)
    return JsonResponse({"payment_intent": summary})


def _confirm_error(error: dict) -> dict:
    """A Stripe error for the page, in its language. As with Stripe.js, a confirmation of
    an intent that is no longer open (a replay, another tab) carries the intent, so the page
    can go on to the return page when it was paid meanwhile."""
    code = error.get("code")
    answer = {"type": error.get("type"), "code": code,
              "message": failure_message(code, error.get("decline_code"))}
    intent = error.get("payment_intent")
    if code == "payment_intent_unexpected_state" and isinstance(intent, dict):
        answer["payment_intent"] = {"id": intent["id"], "status": intent["status"]}
        if intent["status"] in ("succeeded", "processing"):
            answer["message"] = _("This order is already paid.")
        elif intent["status"] == "canceled":
            answer["message"] = _("This order was cancelled and can no longer be paid.")
    return answer


def _sandbox_attempt(payment, data):
    """Confirm in the sandbox as Stripe.js would, then read the result from "Stripe" on the
    server (never from the browser), as the return page does."""
    from apps.payments.sandbox.services import (
        InvalidCardNumber,
        StripeErrorResponse,
        sandbox_complete_3ds,
        sandbox_confirm,
    )

    outcome = data.get("three_ds") or None
    try:
        if payment.status == PaymentStatus.REQUIRES_ACTION and outcome:
            sandbox_complete_3ds(payment.stripe_payment_intent_id, outcome)
        else:
            sandbox_confirm(payment.stripe_payment_intent_id, data["card_number"], outcome)
    except InvalidCardNumber:
        return failure_message("incorrect_number")
    except StripeErrorResponse as error:
        return _confirm_error(error.error)["message"]
    try:
        result = refresh_payment(payment=payment)
    except gateway.PaymentGatewayError as error:
        return error.user_message
    return result.payment if result is not None else payment
