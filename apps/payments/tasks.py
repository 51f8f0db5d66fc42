"""Work done after commit: refund calls to Stripe. (E-mails after a payment: apps.emails.)"""

from django_tasks import task


@task()
def execute_refund_task(refund_id: int) -> str:
    from apps.payments.services import execute_refund

    refund = execute_refund(refund_id=refund_id)
    return refund.status if refund is not None else ""
