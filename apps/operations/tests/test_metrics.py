"""`/metrics` for Prometheus: private by default (a token or an allowed address), and with
access it shows the same payment figures as the dashboard."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.payments.tests.scripted import script_payments

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-0123456789abcdef"


def samples(response) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def test_refused_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    response = client.get("/metrics", headers={"authorization": "Bearer "})

    assert response.status_code == 401
    assert b"shop_" not in response.content


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_refused_without_the_right_token(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    headers = {"authorization": header} if header else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"shop_payment" not in response.content


def test_an_allowed_address_needs_no_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 401


def test_with_the_token_it_shows_the_payment_figures(
    client, settings, product, card_holder, committed, refunds_user
):
    script_payments(product, card_holder, committed, refunds_user)
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    shown = samples(response)

    def value(name, **labels):
        return shown[(name, tuple(sorted(labels.items())))]

    assert value("shop_payment_attempts", window="7d", outcome="succeeded") == 3
    assert value("shop_payment_attempts", window="7d", outcome="failed") == 2
    assert value("shop_payment_success_ratio", window="7d") == pytest.approx(0.6)
    assert value("shop_payment_success_ratio", window="30d") == pytest.approx(0.571)
    assert value("shop_payment_time_to_paid_seconds", window="7d", quantile="0.5") == 8
    assert value("shop_payment_time_to_paid_seconds", window="7d",
                 quantile="0.95") == pytest.approx(27.8)
    assert value("shop_payment_time_to_paid_seconds", window="30d",
                 quantile="0.95") == pytest.approx(55.5)
    assert value("shop_webhook_lag_seconds", window="7d", quantile="0.5") == 3
    assert value("shop_webhook_lag_seconds", window="30d",
                 quantile="0.95") == pytest.approx(17.5)
    assert value("shop_webhook_failures", window="7d") == 1
    assert value("shop_payment_failures", window="7d", reason="generic_decline") == 1
    assert value("shop_payment_failures", window="7d", reason="insufficient_funds") == 1
    assert value("shop_payment_failures", window="30d", reason="lost_card") == 1
    assert ("shop_payment_failures", (("reason", "lost_card"), ("window", "7d"))) not in shown
    assert value("shop_paid_amount", window="7d", currency="SAR") == 375
    assert value("shop_refunded_amount", window="30d", currency="SAR") == 25
    assert value("shop_refunds", window="7d") == 1
    assert value("shop_refund_ratio", window="7d") == pytest.approx(0.067)
    assert value("shop_open_disputes") == 1
    assert value("shop_stripe_info", mode="sandbox") == 1
    body = response.content.decode()
    assert settings.STRIPE_SECRET_KEY not in body and "noura@" not in body
