"""Work done after commit or on a schedule: refund calls to Stripe, expiring unpaid orders.
(E-mails after a payment: apps.emails.)"""

from django_tasks import task

from apps.payments.services.reconciliation import expire_unpaid_orders
from apps.payments.services.refunds import execute_refund


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
