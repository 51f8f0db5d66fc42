from django_tasks import task

from apps.orders.services import release_expired_orders


@task()
def release_expired_orders_task() -> list[str]:
    return release_expired_orders()
