"""Audit-log actions of staff work on orders (refunds, Stripe event re-runs), shown in the
Wagtail admin's history of an order and on its timeline.

The services in apps/payments/services.py log them (`wagtail.log_actions.log`) on the Order,
inside the transaction of the change, with `data`: refund_id, amount (string), currency, and
for some actions note / error. `user` is the staff member who acted (None when Stripe or the
task worker did). Registered with Wagtail in apps/payments/wagtail_hooks.py.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from apps.core.money import format_money

REFUND_REQUESTED = "payments.refund.requested"
REFUND_AWAITING_APPROVAL = "payments.refund.awaiting_approval"
REFUND_APPROVED = "payments.refund.approved"
REFUND_REJECTED = "payments.refund.rejected"
REFUND_SENT = "payments.refund.sent"
REFUND_FAILED = "payments.refund.failed"
REFUND_SUCCEEDED = "payments.refund.succeeded"
ORDER_RESTOCKED = "payments.refund.restocked"
STRIPE_EVENT_RERUN = "payments.stripe_event.rerun"
# Logged by apps/emails/services.py `resend_email`, data: email_record, kind, previous_status.
EMAIL_RESENT = "emails.email.resent"


class RefundLogFormatter(LogFormatter):
    """"<message>: SAR 250.00 (refund #7)" (the amount as `format_money` writes it in the
    staff member's language), with the staff note or Stripe's error as the comment."""

    def format_message(self, log_entry):
        data = log_entry.data or {}
        try:
            return _("%(action)s: %(amount)s (refund #%(refund)s)") % {
                "action": self.message,
                "amount": format_money(data["amount"], data["currency"]),
                "refund": data["refund_id"],
            }
        except (KeyError, TypeError, ArithmeticError, ValueError):
            return self.message

    def format_comment(self, log_entry):
        data = log_entry.data or {}
        return data.get("error") or data.get("note") or ""


ACTIONS = [
    (REFUND_REQUESTED, _("Refund requested"), _("Refund requested")),
    (
        REFUND_AWAITING_APPROVAL,
        _("Refund awaiting approval"),
        _("Refund requested, awaiting a manager's approval"),
    ),
    (REFUND_APPROVED, _("Refund approved"), _("Refund approved")),
    (REFUND_REJECTED, _("Refund rejected"), _("Refund rejected")),
    (REFUND_SENT, _("Refund sent to Stripe"), _("Refund sent to Stripe")),
    (REFUND_FAILED, _("Refund failed"), _("Refund failed")),
    (REFUND_SUCCEEDED, _("Refund confirmed by Stripe"), _("Refund confirmed by Stripe")),
    (ORDER_RESTOCKED, _("Items restocked"), _("Items put back in stock after a refund")),
]
# Plain actions (no refund data).
SIMPLE_ACTIONS = [
    (STRIPE_EVENT_RERUN, _("Stripe event re-run"), _("Stripe event handled again by staff")),
    (EMAIL_RESENT, _("E-mail resent"), _("E-mail queued to be sent again")),
]
