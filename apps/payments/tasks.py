"""Work done after commit or on a schedule: applying Stripe events, refund calls to Stripe,
expiring unpaid orders. (E-mails after a payment: apps.emails.)"""

from django_tasks import task

from apps.payments.services.reconciliation import expire_unpaid_orders
from apps.payments.services.refunds import execute_refund
from apps.payments.webhooks import apply_stored_event


@task()
def apply_stripe_event_task(stripe_event_id: str) -> str:
    """Apply a Stripe event the webhook stored (webhooks.accept_event)."""
    return apply_stored_event(stripe_event_id=stripe_event_id)


@task()
def execute_refund_task(refund_id: int) -> str:
    refund = execute_refund(refund_id=refund_id)
    return refund.status if refund is not None else ""


@task()
def expire_unpaid_orders_task() -> list[str]:
    """Cancel unpaid orders whose reservation ran out, return their stock and cancel their
    open PaymentIntents. Returns the cancelled order numbers. `make run` runs the same work
    every minute through `manage.py release_expired_orders --every 60`."""
    return expire_unpaid_orders().orders_cancelled
