from django_tasks import task


@task()
def release_expired_orders_task() -> list[str]:
    """Cancel unpaid orders whose reservation ran out, return their stock and cancel their
    open PaymentIntents (`apps.payments.services.expire_unpaid_orders`). Returns the
    cancelled order numbers. `make run` runs the same work every minute through
    `manage.py release_expired_orders --every 60`."""
    # Imported here: payments builds on orders, not the other way round.
    from apps.payments.services import expire_unpaid_orders

    return expire_unpaid_orders().orders_cancelled
