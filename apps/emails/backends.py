"""The embedded e-mail backend: each message becomes one `.eml` file a newcomer can open.

It behaves like an anymail backend towards the shop: every sent message gets an
`anymail_status` with a message id (its Message-ID), so e-mail records look the same whether
the provider is this folder or Postmark.
"""

import os
import re
import threading
import uuid
from email.utils import make_msgid, parseaddr
from pathlib import Path

from anymail.message import AnymailRecipientStatus, AnymailStatus
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Writes `<EMAIL_FILE_PATH>/<timestamp>-<order>-<kind>.eml` (RFC 5322 bytes)."""

    esp_name = "EML file"

    def __init__(self, *args, file_path: str | os.PathLike | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)
        self._lock = threading.Lock()

    def send_messages(self, email_messages) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                try:
                    self._write(message)
                except OSError:
                    if not self.fail_silently:
                        raise
                    continue
                sent += 1
        return sent

    def _write(self, message) -> None:
        if not message.recipients():
            return
        self.file_path.mkdir(parents=True, exist_ok=True)
        if not any(name.lower() == "message-id" for name in message.extra_headers):
            domain = parseaddr(message.from_email or settings.DEFAULT_FROM_EMAIL)[1]
            message.extra_headers["Message-ID"] = make_msgid(
                domain=domain.rpartition("@")[2] or None
            )
        mime = message.message()
        message_id = str(mime["Message-ID"]).strip().strip("<>")
        metadata = getattr(message, "metadata", None) or {}
        name = "-".join(
            part for part in (
                timezone.now().strftime("%Y%m%d-%H%M%S-%f"),
                _safe(metadata.get("order", "")),
                _safe(metadata.get("kind", "")) or "message",
                uuid.uuid4().hex[:6],
            ) if part
        )
        target = self.file_path / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(mime.as_bytes(linesep="\r\n"))
        os.replace(partial, target)  # never a half-written .eml
        status = AnymailStatus()
        status.set_recipient_status(
            {
                address: AnymailRecipientStatus(message_id=message_id, status="sent")
                for address in message.recipients()
            }
        )
        status.esp_response = str(target)
        message.anymail_status = status


def _safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(value))[:60]
