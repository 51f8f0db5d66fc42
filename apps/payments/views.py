from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.orders.models import Order
from apps.orders.selectors import order_for_customer, order_for_guest_token
from apps.payments import gateway
from apps.payments.forms import SandboxCardForm
from apps.payments.messages import failure_message
from apps.payments.models import PaymentStatus
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


@require_http_methods(["GET", "POST"])
def pay(request, number: str):
    """The order's payment page (minimal: summary + the sandbox card form; the Stripe.js
    Payment Element comes with the page's front-end)."""
    order = _order_for_request(request, number)
    if order is None:
        raise Http404
    token = request.GET.get("token") or request.POST.get("token")
    context = {"order": order, "token": token or "", "sandbox": settings.STRIPE_SANDBOX,
               "publishable_key": gateway.publishable_key()}
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
    context.update(payment=payment, form=form,
                   return_url=request.build_absolute_uri(
                       reverse("payments:pay", kwargs={"number": order.number})))
    return render(request, "payments/pay.html", context)


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
