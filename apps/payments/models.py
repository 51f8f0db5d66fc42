"""Payments: one row per Stripe PaymentIntent, each confirmation outcome, refunds, and every
Stripe event we received.

Status changes happen only in `apps/payments/services/`, under row locks taken in the order
order -> payment -> refund.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.orders.models import DisputeStatus, Order


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PROCESSING = "processing", _("Processing")
    REQUIRES_ACTION = "requires_action", _("Awaiting card authentication")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


# States a PaymentIntent can still be confirmed from: the payment page reuses it.
REUSABLE_STATUSES = frozenset(
    {
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
        PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.PROCESSING,
    }
)
# The money arrived (and may have gone back since).
PAID_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


class Settlement(models.TextChoices):
    """What a successful payment did to its order, decided once under the row locks."""

    PAID_ORDER = "paid_order", _("Paid the order")
    REFUND_OUT_OF_STOCK = "refund_out_of_stock", _("Refunded: the goods sold out meanwhile")
    REFUND_DUPLICATE = "refund_duplicate", _("Refunded: the order was already paid")
    REFUND_CANCELLED = "refund_cancelled", _("Refunded: the order was cancelled")
    MONEY_RETURNED = "money_returned", _("Refunded in Stripe before it was applied")


class PaymentReview(models.TextChoices):
    """Why a payment that Stripe reports as paid was held for staff instead of paying its
    order: the money is not what the order charges, or the report comes from the other
    Stripe mode than the shop's key."""

    AMOUNT = "amount_mismatch", _("Amount differs from the order's")
    CURRENCY = "currency_mismatch", _("Currency differs from the order's")
    LIVEMODE = "livemode_mismatch", _("Live/test mode differs from the shop's Stripe key")


class Payment(models.Model):
    """One Stripe PaymentIntent for an order. An order normally has exactly one; a new one is
    created only when the previous one was canceled."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    # 1 for the order's first PaymentIntent, 2 after that one was canceled, ... Part of the
    # idempotency key of the create call, so two simultaneous first visits create one intent.
    sequence = models.PositiveIntegerField(default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING, db_index=True,
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=3)
    amount_refunded = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=3, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3)
    stripe_payment_intent_id = models.CharField(_("PaymentIntent"), max_length=255, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    stripe_charge_id = models.CharField(_("charge"), max_length=255, blank=True)
    # Never more card data than this.
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last 4"), max_length=4, blank=True)
    # The last failure, for the payment page ("your card was declined").
    failure_code = models.CharField(max_length=100, blank=True)
    decline_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)
    failure_at = models.PositiveBigIntegerField(default=0)  # Stripe time of that failure
    dispute_status = models.CharField(
        _("dispute"), max_length=40, blank=True, choices=DisputeStatus.choices
    )
    # Empty until the money first arrives; then set once (see Settlement).
    settlement = models.CharField(
        _("settlement"), max_length=30, choices=Settlement.choices, blank=True
    )
    # Set when a success report did not match (see PaymentReview): nothing was applied and
    # staff were alerted. The facts are what Stripe reported (services.review.reported_text
    # puts them into words in the reader's language).
    review_reason = models.CharField(
        _("held for review"), max_length=30, blank=True, choices=PaymentReview.choices,
        db_index=True,
    )
    review_facts = models.JSONField(_("what Stripe reported"), default=dict, blank=True)
    flagged_at = models.DateTimeField(_("held at"), null=True, blank=True)
    # Stripe time (epoch seconds) of the newest state applied: an older event about an open
    # state (failed, requires action, ...) never overwrites a newer one.
    stripe_state_at = models.PositiveBigIntegerField(default=0)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Staff search by charge id (order list, payments list), disputes by charge.
            models.Index(fields=["stripe_charge_id"], name="payment_charge_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="payment_order_sequence"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="payment_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0), name="payment_refunded_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_payment_intent_id} ({self.status})"

    @property
    def is_reusable(self) -> bool:
        return self.status in REUSABLE_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES


class PaymentAttempt(models.Model):
    """The outcome of one confirmation (a card tried once), so the order's history shows
    every try."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices)
    failure_code = models.CharField(max_length=100, blank=True)
    decline_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # The same outcome reported twice (webhook and return page, or a redelivery) is one row.
    dedup_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.status} {self.failure_code}".strip()


class RefundStatus(models.TextChoices):
    # A staff refund above settings.REFUND_APPROVAL_THRESHOLD: waits for a second staff member
    # with `approve_refund`; nothing is sent to Stripe before.
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    REJECTED = "rejected", _("Rejected")  # an approver refused it; never sent
    REQUESTED = "requested", _("Requested")  # recorded, not yet sent to Stripe
    PENDING = "pending", _("Pending")
    REQUIRES_ACTION = "requires_action", _("Requires action")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


# Refunds that count against what is left to refund: succeeded, or on their way. Failed,
# canceled and rejected ones never count.
COUNTED_REFUND_STATUSES = frozenset(
    {
        RefundStatus.AWAITING_APPROVAL,
        RefundStatus.REQUESTED,
        RefundStatus.PENDING,
        RefundStatus.REQUIRES_ACTION,
        RefundStatus.SUCCEEDED,
    }
)


class RefundReason(models.TextChoices):
    """Why the shop refunds (internal). Staff refunds are STAFF; their Stripe reason is in
    `Refund.stripe_reason`."""

    OUT_OF_STOCK = "out_of_stock", _("Paid after the reservation expired; goods sold out")
    DUPLICATE = "duplicate", _("Order already paid")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    CUSTOMER = "requested_by_customer", _("Requested by the customer")
    STRIPE = "stripe", _("Made in the Stripe Dashboard")
    STAFF = "staff", _("Issued by staff")


class StripeRefundReason(models.TextChoices):
    """The reasons Stripe accepts on a refund (`reason` of POST /v1/refunds)."""

    DUPLICATE = "duplicate", _("Duplicate payment")
    FRAUDULENT = "fraudulent", _("Fraudulent")
    REQUESTED_BY_CUSTOMER = "requested_by_customer", _("Requested by the customer")


class Refund(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    stripe_refund_id = models.CharField(
        _("Stripe refund"), max_length=255, unique=True, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED,
        db_index=True,
    )
    reason = models.CharField(_("reason"), max_length=30, choices=RefundReason.choices)
    # What Stripe is told (staff refunds choose it; automatic ones derive it from `reason`).
    stripe_reason = models.CharField(
        _("reason given to Stripe"), max_length=30, choices=StripeRefundReason.choices,
        blank=True,
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    # Null for refunds made outside the shop (Dashboard): they arrive as events only. Staff
    # refunds: derived from the refund form's own key, so a resubmitted form is one refund.
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    note = models.TextField(_("staff note"), blank=True)
    # Put the order's units back in stock when the refund succeeds (once per order).
    restock = models.BooleanField(_("restock the items"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"),
    )
    # When an approver approved or rejected it.
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        permissions = [
            ("issue_refund", _("Can issue refunds")),
            ("approve_refund", _("Can approve refunds above the threshold")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_refund_id or 'refund'} {self.amount} {self.currency} ({self.status})"


class StripeEvent(models.Model):
    """Every Stripe event we accepted, stored by its id before it is applied (by the worker,
    webhooks.apply_stored_event): a redelivery finds the row and changes nothing."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    stripe_created = models.PositiveBigIntegerField(default=0)
    # The PaymentIntent the event is about (from its object), so an order's page lists them.
    payment_intent_id = models.CharField(
        _("PaymentIntent"), max_length=255, blank=True, db_index=True
    )
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    # Null while not applied yet. A failed application is rolled back and recorded here with
    # its error: a transient one with the time of its next try (`retry_at`), a permanent one
    # without, for staff to re-run after a fix.
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"
