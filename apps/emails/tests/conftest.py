"""E-mail fixtures. Payment fixtures (card_holder, signed webhook posts) come from the payments
tests (registered for all tests by the root conftest), so e-mails are produced by the same
flows the shop runs."""

import email
import email.policy
from pathlib import Path

import pytest

from apps.emails.tests.fakes import FlakyProvider

ANYMAIL_TEST_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture(autouse=True)
def anymail_test_backend(settings):
    """anymail's test backend: messages in mail.outbox, each with an anymail_status."""
    settings.EMAIL_BACKEND = ANYMAIL_TEST_BACKEND
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.SHOP_STAFF_ALERT_EMAILS = ["staff@gulf-emperor.example"]


@pytest.fixture
def provider(settings):
    """A provider that can be switched off: `provider.down = True`."""
    settings.EMAIL_BACKEND = "apps.emails.tests.fakes.FlakyProvider"
    FlakyProvider.down = False
    FlakyProvider.calls = 0
    yield FlakyProvider
    FlakyProvider.down = False


@pytest.fixture
def mail_dir(settings, tmp_path) -> Path:
    """The embedded backend writing .eml files into a temporary var/mail/."""
    settings.EMAIL_BACKEND = "apps.emails.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


def read_eml(path: Path) -> email.message.EmailMessage:
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def parts(message) -> tuple[str, str]:
    """(plain text, HTML) of a parsed message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def in_bdi(value, html: str) -> bool:
    """Whether `value` appears isolated in `<bdi …>` in the HTML."""
    import re

    return re.search(rf"<bdi[^>]*>{re.escape(str(value))}</bdi>", html) is not None
