"""Sending a message again: staff with refund rights (or a superuser) resend a failed,
rejected or unknown message from its admin page; `send_pending_emails --failed` requeues the
failed ones after a long outage. Each resend is on the order's audit trail."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from wagtail.models import ModelLogEntry

from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.services import (
    EMAIL_RESENT,
    EmailResendRefused,
    queue_order_email,
    resend_email,
    send_email,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_record(order, settings, provider):
    """A confirmation that failed every attempt during a provider outage."""
    settings.EMAIL_MAX_ATTEMPTS = 2
    provider.down = True
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")
    send_email(record.pk, force=True)
    send_email(record.pk, force=True)
    record.refresh_from_db()
    assert record.status == EmailStatus.FAILED
    provider.down = False
    return record


def test_staff_resend_a_failed_message_and_it_is_logged(client, refunds_user, failed_record,
                                                        committed):
    url = f"/admin/shop_emails/inspect/{failed_record.pk}/"
    client.force_login(refunds_user)
    assert "data-resend-button" in client.get(url).content.decode()

    response = committed(client.post, f"/admin/shop_emails/resend/{failed_record.pk}/",
                         follow=True)

    assert response.status_code == 200
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert failed_record.to[0] in message
    failed_record.refresh_from_db()
    assert failed_record.status == EmailStatus.SENT  # the task ran after the commit
    assert failed_record.attempts == 1  # counted afresh
    assert (failed_record.resent_by, failed_record.resent_at is not None) == (refunds_user, True)
    assert len(mail.outbox) == 1
    entry = ModelLogEntry.objects.get(action=EMAIL_RESENT)
    assert (entry.object_id, entry.user) == (str(failed_record.order_id), refunds_user)
    assert entry.data["previous_status"] == EmailStatus.FAILED
    # Sent now: no second resend, and no button for it.
    assert "data-resend-button" not in client.get(url).content.decode()
    client.post(f"/admin/shop_emails/resend/{failed_record.pk}/")
    assert len(mail.outbox) == 1


def test_support_cannot_resend(client, support_user, failed_record):
    client.force_login(support_user)

    assert "data-resend-button" not in client.get(
        f"/admin/shop_emails/inspect/{failed_record.pk}/").content.decode()
    assert client.post(f"/admin/shop_emails/resend/{failed_record.pk}/").status_code == 403
    failed_record.refresh_from_db()
    assert failed_record.status == EmailStatus.FAILED


@pytest.mark.parametrize("status", [EmailStatus.SENT, EmailStatus.DELIVERED,
                                    EmailStatus.QUEUED, EmailStatus.SENDING])
def test_a_message_sent_or_on_its_way_is_not_resent(order, status):
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")
    EmailRecord.objects.filter(pk=record.pk).update(status=status)

    with pytest.raises(EmailResendRefused):
        resend_email(record.pk, actor=None)

    assert EmailRecord.objects.get(pk=record.pk).status == status
    assert not ModelLogEntry.objects.filter(action=EMAIL_RESENT).exists()


def test_send_pending_emails_failed_requeues_and_sends_the_failed_ones(failed_record):
    call_command("send_pending_emails")  # a failed one is left alone by default
    assert mail.outbox == []

    call_command("send_pending_emails", "--failed")

    failed_record.refresh_from_db()
    assert (failed_record.status, failed_record.attempts) == (EmailStatus.SENT, 1)
    assert failed_record.resent_by is None
    assert len(mail.outbox) == 1
    entry = ModelLogEntry.objects.get(action=EMAIL_RESENT)
    assert entry.user is None
    call_command("send_pending_emails", "--failed")
    assert len(mail.outbox) == 1
