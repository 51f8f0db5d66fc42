"""Transactional e-mails: one row per (order, message kind, cause), sent at most once, with
the provider's message id and the tracking events the provider reported back."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.orders.models import Order


class EmailKind(models.TextChoices):
    ORDER_CONFIRMED = "order_confirmed", _("Order confirmation")
    PAYMENT_FAILED = "payment_failed", _("Payment failure")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    ORDER_SHIPPED = "order_shipped", _("Shipping notice")
    REFUND = "refund", pgettext_lazy("e-mail kind", "Refund")
    DISPUTE_ALERT = "dispute_alert", _("Dispute alert (staff)")
    PAYMENT_REVIEW = "payment_review", _("Payment held for review (staff)")

    @classmethod
    def for_staff(cls) -> frozenset[str]:
        """Alerts for the shop's staff (SHOP_STAFF_ALERT_EMAILS), never for the customer."""
        return frozenset({cls.DISPUTE_ALERT, cls.PAYMENT_REVIEW})


class EmailStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("e-mail status", "Queued")
    SENDING = "sending", _("Sending")
    # The worker stopped while sending: the provider may or may not have accepted it. Never
    # sent again automatically; staff check the provider's log, then resend if needed.
    UNKNOWN = "unknown", _("Needs checking: may have been sent")
    RETRYING = "retrying", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # No longer relevant when its turn came (e.g. a payment failure notice for an order
    # paid meanwhile): never sent.
    CANCELLED = "cancelled", _("Not sent (no longer relevant)")
    DELIVERED = "delivered", _("Delivered")
    DEFERRED = "deferred", _("Delayed by the recipient's server")
    BOUNCED = "bounced", _("Bounced")
    REJECTED = "rejected", _("Rejected by the provider")
    COMPLAINED = "complained", _("Marked as spam")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Link clicked")


class EmailRecord(models.Model):
    """One transactional message about an order. The unique (order, kind, cause) makes every
    cause — a payment, a failed attempt, a refund, a dispute — send its message once, however
    many times Stripe delivers the webhook."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="email_records", verbose_name=_("order")
    )
    kind = models.CharField(_("message"), max_length=30, choices=EmailKind.choices)
    # What caused it: "payment:<id>", the failed attempt's dedup key, "refund:<id>",
    # "dispute:<stripe id>".
    cause = models.CharField(_("cause"), max_length=120)
    to = models.JSONField(_("recipients"), default=list)
    language = models.CharField(_("language"), max_length=2, default="ar")
    # Facts the message needs that are not kept elsewhere (a dispute's amount and reason).
    data = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=EmailStatus.choices, default=EmailStatus.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    provider_message_id = models.CharField(
        _("provider message id"), max_length=255, blank=True, db_index=True
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True)
    # The last staff member who asked for it to be sent again (`services.resend_email`).
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("resent by"),
    )
    resent_at = models.DateTimeField(_("resent at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "cause"], name="email_once_per_order_kind_cause"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.order_id} · {self.status}"


class EmailEvent(models.Model):
    """A tracking event the provider reported (delivered, bounced, complained, ...)."""

    record = models.ForeignKey(
        EmailRecord, on_delete=models.CASCADE, related_name="events", verbose_name=_("e-mail")
    )
    event_type = models.CharField(_("event"), max_length=30)
    event_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(_("at"))
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    description = models.TextField(_("detail"), blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail event")
        verbose_name_plural = _("e-mail events")
        ordering = ["occurred_at", "pk"]
        constraints = [
            # A provider redelivering the same tracking event adds no second row.
            models.UniqueConstraint(
                fields=["record", "event_id"], condition=~models.Q(event_id=""),
                name="email_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} · {self.occurred_at:%Y-%m-%d %H:%M}"
