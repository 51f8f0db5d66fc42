from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.middleware import csp_allow
from apps.orders.models import Order
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
stripe_csp = csp_allow(
    script_src=["https://js.stripe.com"],
    frame_src=["https://js.stripe.com", "https://hooks.stripe.com"],
    connect_src=["https://api.stripe.com"],
)


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


@stripe_csp
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
        "retry_url": _with_token(reverse("payments:pay", kwargs={"number": number}), token),
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
        return JsonResponse({"error": {"type": "invalid_request_error",
                                       "message": failure_message("processing_error")}},
                            status=404)
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
        code = exc.error.get("code")
        return JsonResponse({"error": {"type": exc.error.get("type"), "code": code,
                                       "message": failure_message(code,
                                                                  exc.error.get("decline_code"))}},
                            status=exc.status)
    summary = {"id": intent["id"], "status": intent["status"]}
    error = intent.get("last_payment_error")
    if intent["status"] == "requires_payment_method" and error:
        return JsonResponse({"payment_intent": summary, "error": {
            "type": error.get("type"), "code": error.get("code"),
            "decline_code": error.get("decline_code"),
            "message": failure_message(error.get("code"), error.get("decline_code")),
        }}, status=402)
    return JsonResponse({"payment_intent": summary})


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
        return error.error.get("message") or failure_message(None)
    try:
        result = refresh_payment(payment=payment)
    except gateway.PaymentGatewayError as error:
        return error.user_message
    return result.payment if result is not None else payment
