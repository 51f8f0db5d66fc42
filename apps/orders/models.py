import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.catalog.models import Product
from apps.core.address import SaudiAddressFields
from apps.core.money import format_money

GUEST_LINK_SALT = "orders.guest-link"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class DisputeStatus(models.TextChoices):
    """Stripe's dispute statuses (Dispute.status), as staff read them. Kept on the order (the
    newest dispute of its payment) and on the payment."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response", pgettext_lazy(
        "dispute status", "Inquiry: needs a response")
    WARNING_UNDER_REVIEW = "warning_under_review", pgettext_lazy(
        "dispute status", "Inquiry under review")
    WARNING_CLOSED = "warning_closed", pgettext_lazy("dispute status", "Inquiry closed")
    NEEDS_RESPONSE = "needs_response", pgettext_lazy("dispute status", "Needs a response")
    UNDER_REVIEW = "under_review", pgettext_lazy("dispute status", "Under review")
    CHARGE_REFUNDED = "charge_refunded", pgettext_lazy(
        "dispute status", "Closed: charge refunded")
    WON = "won", pgettext_lazy("dispute status", "Won")
    LOST = "lost", pgettext_lazy("dispute status", "Lost")

    @classmethod
    def closed(cls) -> frozenset[str]:
        """Statuses that end a dispute: it no longer needs the shop, and a late event never
        reopens it."""
        return frozenset({cls.WON, cls.LOST, cls.WARNING_CLOSED, cls.CHARGE_REFUNDED})

    @classmethod
    def label_of(cls, status: str) -> str:
        """"" for none; an unknown code as Stripe wrote it."""
        return str(dict(cls.choices).get(status, status or ""))


class Order(SaudiAddressFields):
    """A placed order: a snapshot of lines, address and totals that never follows later
    catalog changes."""

    number = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The checkout form's own key: the same form sent twice (a double click, two tabs, a
    # retried request) finds this order instead of placing another.
    checkout_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders", verbose_name=_("customer"),
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=2, default="ar")
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT, db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=3)
    shipping = models.DecimalField(_("shipping"), max_digits=12, decimal_places=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=3)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    vat_amount = models.DecimalField(_("VAT included"), max_digits=12, decimal_places=3)
    # Empty, or the status of the newest Stripe dispute on its payment (needs_response,
    # under_review, won, lost, ...). Kept beside `status`: a dispute does not stop shipping.
    dispute_status = models.CharField(
        _("dispute"), max_length=40, blank=True, db_index=True, choices=DisputeStatus.choices
    )
    reserved_until = models.DateTimeField(_("stock reserved until"))
    stock_released = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        permissions = [("ship_order", "Can mark orders shipped and delivered")]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
        ]
        # The staff search looks orders up by exact mobile number and lower-cased e-mail.
        indexes = [
            models.Index(fields=["phone"], name="order_phone_idx"),
            models.Index(Lower("email"), name="order_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def guest_token(self) -> str:
        return signing.Signer(salt=GUEST_LINK_SALT).sign(str(self.public_id))

    def get_guest_url(self) -> str:
        return reverse("orders:guest_detail", kwargs={"token": self.guest_token})

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def vat_percent(self):
        return (self.vat_rate * 100).normalize()

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == OrderStatus.PENDING_PAYMENT


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=3)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=3)

    class Meta:
        ordering = ["pk"]

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "ar").startswith("en") else self.name_ar


class StatusReason(models.TextChoices):
    """Why an order's status changed. Stored as a code with parameters
    (`OrderStatusChange.params`) and put into words when shown, in the reader's language."""

    ORDER_PLACED = "order_placed", _("Order placed")
    RESERVATION_EXPIRED = "reservation_expired", _("Stock reservation expired")
    PAID = "paid", _("Paid with Stripe")
    PAID_AFTER_EXPIRY = "paid_after_expiry", _("Paid after the reservation expired")
    REFUNDED = "refunded", _("Refunded with Stripe")
    REFUND_FAILED = "refund_failed", _("A refund failed after it had succeeded")
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer", _("Cancelled by the customer")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")


# The sentence for each reason; %(amount)s is formatted from the params' amount + currency.
STATUS_REASON_SENTENCES = {
    StatusReason.ORDER_PLACED: _("Order placed"),
    StatusReason.RESERVATION_EXPIRED: _("Stock reservation expired"),
    StatusReason.PAID: _("Paid with Stripe (%(payment_intent)s)"),
    StatusReason.PAID_AFTER_EXPIRY: _(
        "Paid with Stripe (%(payment_intent)s) after the reservation expired"
    ),
    StatusReason.REFUNDED: _("Refunded with Stripe (%(payment_intent)s): %(amount)s in total"),
    StatusReason.REFUND_FAILED: _(
        "Stripe refund %(refund)s failed after it had succeeded; refunded now: %(amount)s"
    ),
    StatusReason.CANCELLED_BY_CUSTOMER: _(
        "Cancelled by the customer before paying; the items went back to their cart"
    ),
    StatusReason.SHIPPED: _("Shipped with %(carrier)s, tracking number %(tracking_number)s"),
    StatusReason.DELIVERED: _("Delivered to the customer"),
}


class Shipment(models.Model):
    """How an order travels: the carrier, its tracking number and link, and when it was
    shipped and delivered (staff enter them; the order's status moves with them)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="shipment",
                                 verbose_name=_("order"))
    carrier = models.CharField(_("carrier"), max_length=80)
    tracking_number = models.CharField(_("tracking number"), max_length=80)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class OrderStatusChange(models.Model):
    """Audit trail: every status change, who made it and why (a reason code and its
    parameters, put into words when shown; `note` is free text a person wrote)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, blank=True, choices=StatusReason.choices)
    params = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def describe(self) -> str:
        """Why, in the active language: the reason's sentence, then any note."""
        parts = []
        sentence = STATUS_REASON_SENTENCES.get(self.reason)
        if sentence is not None:
            params = {key: str(value) for key, value in (self.params or {}).items()}
            if "amount" in params:
                params["amount"] = format_money(params["amount"], params.get("currency"))
            try:
                parts.append(str(sentence) % params)
            except (KeyError, ValueError, TypeError):
                parts.append(self.get_reason_display())
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)


class OrderNumberCounter(models.Model):
    """A row per sequence; incremented with a single UPDATE that locks it until commit, so two
    checkouts can never take the same number."""

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)
