"""A tax document's printable page, for whoever may see its order: the signed-in customer,
a holder of the order's signed guest link, or staff (backoffice). Bilingual whatever the
URL's language: Arabic first and right to left, English beside it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from apps.core.ratelimits import limited
from apps.invoices.models import TaxDocument
from apps.invoices.zatca import qr_svg
from apps.orders.models import Order
from apps.orders.selectors import order_for_customer, order_for_guest_token


def render_document(request, order: Order | None, number: str, *,
                    back_url: str = "") -> HttpResponse:
    document = (TaxDocument.objects.select_related("invoice", "reverses")
                .filter(order=order, number=number).first() if order else None)
    if document is None:
        raise Http404
    response = render(request, "invoices/document.html", {
        "document": document,
        "order": order,
        "qr_svg": mark_safe(qr_svg(document.qr_payload)),  # noqa: S308 - segno's own SVG
        "back_url": back_url or request.META.get("HTTP_REFERER", ""),
    })
    # A customer's document: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def customer_document(request, order_number: str, number: str) -> HttpResponse:
    order = order_for_customer(user=request.user, number=order_number)
    back = order.get_absolute_url() if order else ""
    return render_document(request, order, number, back_url=back)


@limited("order_link", method="GET")
def guest_document(request, token: str, number: str) -> HttpResponse:
    order = order_for_guest_token(token)
    back = order.get_guest_url() if order else ""
    return render_document(request, order, number, back_url=back)
