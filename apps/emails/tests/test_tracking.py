"""anymail's tracking webhook (Postmark's, here) updates the message's record on the order's
history; without the shared secret it is refused."""

import base64
import json

import pytest
from django.core import mail

from apps.emails.models import EmailEvent, EmailKind, EmailRecord, EmailStatus
from apps.emails.tests import scenarios

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
SECRET = "anymail-user:s3cret-Pa55"


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def postmark_bounce(record, *, bounce_id=4323372036854775807, bounce_type="HardBounce"):
    """A bounce webhook as Postmark documents it (developer docs, "Bounce webhook")."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": bounce_id,
        "Type": bounce_type,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": record.kind,
        "MessageID": record.provider_message_id,
        "Metadata": {"email_record": str(record.pk), "order": record.order.number},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
                       "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": record.to[0],
        "From": "orders@gulf-emperor.example",
        "BouncedAt": "2026-11-22T10:41:06Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": record.subject,
        "Content": "",
    }


def postmark_delivery(record):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": record.provider_message_id,
        "Recipient": record.to[0],
        "Tag": record.kind,
        "DeliveredAt": "2026-11-22T10:40:01Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }


def post(client, payload, *, auth: str | None = SECRET):
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return client.post(URL, data=json.dumps(payload), content_type="application/json",
                       headers=headers)


@pytest.fixture
def confirmation(order, card_holder, provider):
    """The order's confirmation, sent through the (fake) provider with a Postmark-like id."""
    scenarios.pay(order, card_holder)
    record = order.email_records.get(kind=EmailKind.ORDER_CONFIRMED)
    assert record.status == EmailStatus.SENT and len(record.provider_message_id) == 36
    return record


def test_a_bounce_marks_the_message_bounced_on_the_order_history(client, confirmation,
                                                                 webhook_secret):
    response = post(client, postmark_delivery(confirmation))
    assert response.status_code == 200
    response = post(client, postmark_bounce(confirmation))
    assert response.status_code == 200

    history = list(EmailRecord.objects.filter(order=confirmation.order))
    assert [record.pk for record in history] == [confirmation.pk]
    record = history[0]
    assert record.status == EmailStatus.BOUNCED
    assert [event.event_type for event in record.events.all()] == ["delivered", "bounced"]
    bounce = record.events.get(event_type="bounced")
    assert bounce.event_id == "4323372036854775807"
    assert bounce.recipient == confirmation.to[0]
    assert "unknown user" in bounce.description
    assert bounce.raw["Type"] == "HardBounce"
    assert record.last_event_at == bounce.occurred_at


def test_a_late_delivery_does_not_undo_a_bounce_and_a_redelivery_is_kept_once(
        client, confirmation, webhook_secret):
    assert post(client, postmark_bounce(confirmation)).status_code == 200
    assert post(client, postmark_bounce(confirmation)).status_code == 200  # redelivered
    assert post(client, postmark_delivery(confirmation)).status_code == 200

    confirmation.refresh_from_db()
    assert confirmation.status == EmailStatus.BOUNCED
    # Both kept, in the order they happened (the delivery is older than the bounce).
    assert list(confirmation.events.values_list("event_type", flat=True)) == [
        "delivered", "bounced"]


@pytest.mark.parametrize("auth", [None, "anymail-user:wrong", "someone:else"])
def test_an_unauthenticated_post_is_refused_and_changes_nothing(client, confirmation,
                                                                webhook_secret, auth):
    response = post(client, postmark_bounce(confirmation), auth=auth)

    assert response.status_code == 400  # anymail's AnymailWebhookValidationFailure
    confirmation.refresh_from_db()
    assert confirmation.status == EmailStatus.SENT
    assert not EmailEvent.objects.exists()


def test_an_event_for_an_unknown_message_is_ignored(client, webhook_secret, confirmation):
    payload = {**postmark_bounce(confirmation), "MessageID": "another-message", "Metadata": {}}

    assert post(client, payload).status_code == 200
    assert not EmailEvent.objects.exists()
    assert len(mail.outbox) == 1
