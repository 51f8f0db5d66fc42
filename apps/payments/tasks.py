"""Work done after commit: refund calls to Stripe, and what follows a successful payment."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def execute_refund_task(refund_id: int) -> str:
    from apps.payments.services import execute_refund

    refund = execute_refund(refund_id=refund_id)
    return refund.status if refund is not None else ""


@task()
def payment_succeeded(payment_id: int) -> int:
    """Queued once per paid order, after commit. The confirmation e-mail hooks in here
    (issue 3, not built yet)."""
    logger.info("Payment %s succeeded", payment_id)
    return payment_id
