"""The e-mail provider boundary, faked: anymail's own test backend, made to fail on demand."""

import uuid

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError


class FlakyProvider(AnymailTestBackend):
    """anymail's test backend (messages land in mail.outbox) that answers like a provider
    in an outage (AnymailAPIError, e.g. an HTTP 503) while `FlakyProvider.down` is set."""

    esp_name = "Flaky"
    down = False
    calls = 0

    def get_esp_message_id(self, message):
        return str(uuid.uuid4())  # like Postmark's MessageID

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).down:
            raise AnymailAPIError("503 Service Unavailable (simulated provider outage)")
        return super().send_messages(email_messages)
