"""The shop's audit-log actions as staff read them in an order's history: the refund actions
the payments services log, the e-mail resend the e-mails service logs, and the staff's own
re-run of a Stripe event. Registered with Wagtail in `wagtail_hooks`."""

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from apps.core.money import format_money
from apps.emails.services import EMAIL_RESENT
from apps.payments import audit as refunds
from apps.payments.models import PaymentReview
from apps.payments.services.review import reported_text

# Logged by the back office when staff run a stored Stripe event again.
STRIPE_EVENT_RERUN = "payments.stripe_event.rerun"


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


REFUND_ACTIONS = [
    (refunds.REFUND_REQUESTED, _("Refund requested"), _("Refund requested")),
    (
        refunds.REFUND_AWAITING_APPROVAL,
        _("Refund awaiting approval"),
        _("Refund requested, awaiting a manager's approval"),
    ),
    (refunds.REFUND_APPROVED, _("Refund approved"), _("Refund approved")),
    (refunds.REFUND_REJECTED, _("Refund rejected"), _("Refund rejected")),
    (refunds.REFUND_SENT, _("Refund sent to Stripe"), _("Refund sent to Stripe")),
    (refunds.REFUND_FAILED, _("Refund failed"), _("Refund failed")),
    (refunds.REFUND_SUCCEEDED, _("Refund confirmed by Stripe"), _("Refund confirmed by Stripe")),
    (refunds.ORDER_RESTOCKED, _("Items restocked"), _("Items put back in stock after a refund")),
]
class PaymentHeldFormatter(LogFormatter):
    """"Payment held for review: Amount differs from the order's (expected SAR 57.50, Stripe
    reported SAR 1.00)"."""

    label = _("Payment held for review")
    message = _("Payment held for review")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        try:
            return _("%(action)s: %(reason)s (expected %(expected)s, Stripe reported "
                     "%(reported)s)") % {
                "action": self.message,
                "reason": PaymentReview(data["reason"]).label,
                "expected": format_money(data["expected"], data["currency"]),
                "reported": reported_text(data["reported"]),
            }
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return self.message


# Plain actions (no refund data).
SIMPLE_ACTIONS = [
    (STRIPE_EVENT_RERUN, _("Stripe event re-run"), _("Stripe event handled again by staff")),
    (EMAIL_RESENT, _("E-mail resent"), _("E-mail queued to be sent again")),
]
