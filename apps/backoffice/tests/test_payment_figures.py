"""The dashboard's payment figures (7 and 30 days) and chart, against a scripted set of
payments whose every figure is known (apps/payments/tests/scripted.py)."""

import json

import pytest
from bs4 import BeautifulSoup

from apps.payments.tests.scripted import script_payments

pytestmark = pytest.mark.django_db


def figures(page: str) -> dict[str, str]:
    soup = BeautifulSoup(page, "html.parser")
    panel = soup.find(id="payment-figures-section")
    assert panel is not None, "the payment figures panel is on the dashboard"
    return {cell["data-figure"]: " ".join(cell.get_text(" ", strip=True).split())
            for cell in panel.select("[data-figure]")}


@pytest.fixture
def scripted(product, card_holder, committed, refunds_user):
    return script_payments(product, card_holder, committed, refunds_user)


def test_the_dashboard_figures_match_the_scripted_payments(client, support_user, scripted):
    client.force_login(support_user)

    shown = figures(client.get("/admin/", headers={"accept-language": "en"}).content.decode())

    assert shown == {
        "success-rate-7": "60.0% ( 3/5 )",
        "success-rate-30": "57.1% ( 4/7 )",
        "time-to-paid-7": "8.0 s / 27.8 s (3 measured)",
        "time-to-paid-30": "19.0 s / 55.5 s (4 measured)",
        "webhook-lag-7": "3.0 s / 8.8 s (5 measured)",
        "webhook-lag-30": "3.5 s / 17.5 s (6 measured)",
        "webhook-failures-7": "1",
        "webhook-failures-30": "1",
        "failure-reasons-7": "generic_decline : 1 insufficient_funds : 1",
        "failure-reasons-30": "generic_decline : 1 insufficient_funds : 1 lost_card : 1",
        "paid-amount-7": "SAR 375.00",
        "paid-amount-30": "SAR 500.00",
        "refunds-7": "SAR 25.00 ( 6.7% ) 1 refund",
        "refunds-30": "SAR 25.00 ( 5.0% ) 1 refund",
        "open-disputes-now": "1",
    }


def test_the_chart_plots_each_days_paid_and_failed_attempts(client, support_user, scripted):
    client.force_login(support_user)
    page = client.get("/admin/").content.decode()
    soup = BeautifulSoup(page, "html.parser")

    chart = json.loads(soup.find(id="payment-chart-data").string)
    paid, failed = (series["data"] for series in chart["series"])

    assert len(chart["labels"]) == len(paid) == len(failed) == 31  # 30 days and today
    assert (paid[-1], failed[-1]) == (3, 2)  # today: A, C, D paid; A, B declined
    assert (paid[-11], failed[-11]) == (1, 1)  # ten days ago: E
    assert sum(paid) == 4 and sum(failed) == 3  # F (40 days ago) is out of the window
    assert soup.find("script", src=lambda src: src and "chart.umd.min.js" in src)


def test_in_arabic_the_chart_runs_right_to_left(client, support_user, scripted):
    support_user.wagtail_userprofile.preferred_language = "ar"
    support_user.wagtail_userprofile.save()
    client.force_login(support_user)

    soup = BeautifulSoup(client.get("/admin/").content.decode(), "html.parser")
    chart = json.loads(soup.find(id="payment-chart-data").string)

    assert chart["rtl"] is True
    assert [series["label"] for series in chart["series"]] == ["مدفوع", "فشل"]


def test_without_payments_the_figures_say_so(client, support_user):
    client.force_login(support_user)

    shown = figures(client.get("/admin/").content.decode())

    assert shown["success-rate-7"] == "— ( 0/0 )"
    assert shown["time-to-paid-30"] == "—"
    assert shown["refunds-7"] == "SAR 0.00 0 refunds"
    assert shown["webhook-lag-7"] == "—"


def test_each_decline_code_says_what_the_shopper_was_told(client, support_user, scripted):
    client.force_login(support_user)
    soup = BeautifulSoup(client.get("/admin/").content.decode(), "html.parser")

    cell = soup.find(attrs={"data-figure": "failure-reasons-7"})
    told = {span.code.get_text(): span["title"] for span in cell.select(".shop-reason")}

    assert set(told) == {"generic_decline", "insufficient_funds"}
    assert "insufficient funds" in told["insufficient_funds"].lower()
