from django_tasks import task

from apps.stripe_sandbox import engine
from apps.stripe_sandbox.events import deliver_event


@task()
def deliver_sandbox_event(event_id: str) -> int:
    """What Stripe's webhook delivery does: POST the signed event to the endpoint."""
    return deliver_event(event_id=event_id)


@task()
def settle_sandbox_refund(refund_id: str) -> str:
    """The card network confirms a pending refund (emits `refund.updated`)."""
    from django.db import transaction

    with transaction.atomic():
        refund = engine.settle_refund(engine.Context(), refund_id)
    return refund.get("status", "")
