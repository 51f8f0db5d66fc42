"""E-mail tasks: thin wrappers around apps.emails.services."""

from django_tasks import task


@task()
def send_email_task(record_id: int) -> str:
    from apps.emails.services import send_email

    return send_email(record_id)
