"""Production logs: one JSON object a line, each with the request id that ties a request to
the Stripe calls it made and the tasks it queued; no e-mail address, card number, client
secret, token or key in any of them."""

import io
import json
import logging
import re
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import reverse

from apps.core.logging import RequestContext, json_formatter
from apps.core.request_id import RequestIdMiddleware
from apps.core.tests.test_production_settings import production_env, run
from apps.orders.tests.factories import checkout_form_data
from apps.payments import stripe_test_cards as cards
from apps.payments.tests.factories import place_test_order

APPLY_TASK = "apps.payments.tasks.apply_stripe_event_task"


class JsonLogs:
    """What production's console handler would print, for this test: the JSON formatter and
    the request-context filter of settings.LOGGING on the root logger, the shop's per-request,
    per-Stripe-call and per-task lines on (LOG_EVENTS)."""

    def __init__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(json_formatter())
        self.handler.addFilter(RequestContext())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def of(self, logger: str, **fields) -> list[dict]:
        return [line for line in self.lines() if line["logger"] == logger
                and all(line.get(key) == value for key, value in fields.items())]


@pytest.fixture
def json_logs():
    logs = JsonLogs()
    root, shop = logging.getLogger(), logging.getLogger("shop")
    levels = root.level, shop.level
    root.addHandler(logs.handler)
    root.setLevel(logging.INFO)
    shop.setLevel(logging.INFO)
    yield logs
    root.removeHandler(logs.handler)
    root.setLevel(levels[0])
    shop.setLevel(levels[1])


def pay_url(order) -> str:
    return f"{reverse('payments:pay', kwargs={'number': order.number})}?token={order.guest_token}"


# --- the request id -----------------------------------------------------------------------------


def test_the_middleware_comes_first():
    assert settings.MIDDLEWARE[0] == "apps.core.request_id.RequestIdMiddleware"


@pytest.mark.django_db
def test_each_request_gets_an_id_in_its_header_and_its_json_line(client, json_logs):
    first = client.get("/en/cart/")
    second = client.get("/en/cart/")

    ids = first["X-Request-ID"], second["X-Request-ID"]
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
    assert ids[0] != ids[1]
    [line] = json_logs.of("shop.requests", request_id=ids[0])
    assert line["message"] == "GET /en/cart/ 200"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/en/cart/", 200)
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)
    assert "time" in line


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept(client, json_logs):
    response = client.get("/en/cart/", headers={"X-Request-ID": "lb-42.Req_id"})

    assert response["X-Request-ID"] == "lb-42.Req_id"
    assert json_logs.of("shop.requests", request_id="lb-42.Req_id")


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "<script>", "a\u00e9b",
                                   "id;drop", "guest@example.com"])
def test_a_bad_incoming_request_id_is_replaced(client, json_logs, given):
    response = client.get("/en/cart/", headers={"X-Request-ID": given})

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    [line] = json_logs.of("shop.requests")
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_neither_the_query_string_nor_a_token_in_the_path_is_logged(client, json_logs):
    order = place_test_order()

    client.get("/en/cart/?email=someone%40example.com&q=secret-query")
    client.get(order.get_guest_url())

    assert "someone" not in json_logs.text and "secret-query" not in json_logs.text
    assert order.guest_token not in json_logs.text
    paths = [line["path"] for line in json_logs.of("shop.requests")]
    assert paths == ["/en/cart/", reverse("orders:guest_detail", kwargs={"token": "T"})
                     .replace("/T/", "/<token>/")]


@pytest.mark.django_db
def test_a_stale_guest_links_token_stays_out_of_djangos_not_found_line(client, json_logs):
    stale = "stale-guest-token-0123456789"

    response = client.get(reverse("orders:guest_detail", kwargs={"token": stale}))

    assert response.status_code == 404
    [line] = json_logs.of("django.request")
    assert line["message"].startswith("Not Found: ") and "/<token>/" in line["message"]
    assert stale not in json_logs.text


@pytest.mark.django_db
def test_djangos_own_line_about_a_refused_request_carries_its_id(client, json_logs):
    # Django logs a 4xx after the middleware is done: the id comes from the request.
    response = client.post("/payments/webhook/stripe/", data=b"{}",
                           content_type="application/json")

    [line] = json_logs.of("django.request")
    assert line["status_code"] == 400
    assert line["request_id"] == response["X-Request-ID"]
    assert "request" not in line  # its text would carry the query string


def test_a_line_outside_any_request_has_no_request_id(json_logs):
    logging.getLogger("apps.core").warning("nothing to do with a request")

    [line] = json_logs.lines()
    assert line["request_id"] is None and "task_id" not in line


def test_the_request_id_ends_with_the_request(rf, json_logs):
    def view(request):
        logging.getLogger("apps.x").warning("in")
        return HttpResponse()

    RequestIdMiddleware(view)(rf.get("/"))
    logging.getLogger("apps.x").warning("after")

    inside, _request_line, after = json_logs.lines()
    assert inside["request_id"] and after["request_id"] is None


# --- a request, its Stripe calls and its tasks ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_request_its_stripe_call_and_the_tasks_it_ran_share_the_request_id(client,
                                                                            json_logs):
    # The pay page creates the PaymentIntent; Stripe (the sandbox) sends its webhook, whose
    # application task the immediate backend runs inside this very request.
    order = place_test_order()

    response = client.get(pay_url(order))

    request_id = response["X-Request-ID"]
    [request_line] = json_logs.of("shop.requests", request_id=request_id)
    assert request_line["status"] == 200
    [stripe_call] = json_logs.of("shop.stripe", request_id=request_id, method="POST")
    assert stripe_call["path"] == "/v1/payment_intents"
    assert stripe_call["status"] == 200
    assert stripe_call["message"] == "Stripe POST /v1/payment_intents -> 200"
    [queued] = json_logs.of("shop.tasks", request_id=request_id, task=APPLY_TASK,
                            message=f"task queued: {APPLY_TASK}")
    [finished] = json_logs.of("shop.tasks", task_id=queued["task_id"],
                              message=f"task successful: {APPLY_TASK}")
    assert finished["request_id"] == request_id
    assert finished["task_status"] == "SUCCESSFUL"


# The worker commits its own transactions (and closes a connection left in one): as in
# production, outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_a_worker_carries_the_task_id_its_queued_line_names(
        order, post_event, settings, json_logs):
    from apps.payments.services.intents import start_payment
    from apps.payments.tests.factories import event_payload, intent_payload, stripe_id

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    payment = start_payment(order=order)
    event = event_payload("payment_intent.succeeded", intent_payload(
        payment, status="succeeded", latest_charge=stripe_id("ch")))

    response = post_event(event)
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    request_id = response["X-Request-ID"]
    [queued] = json_logs.of("shop.tasks", request_id=request_id, task=APPLY_TASK)
    worker_lines = json_logs.of("shop.tasks", task_id=queued["task_id"])
    assert [line["message"] for line in worker_lines] == [
        f"task queued: {APPLY_TASK}", f"task successful: {APPLY_TASK}"]
    # Another process in production: the worker's lines name the task, the queued line ties
    # it to the request.
    assert worker_lines[1]["request_id"] is None


# --- no personal data, no secrets ----------------------------------------------------------------


@pytest.mark.django_db
def test_no_email_card_number_or_secret_in_the_logs_of_a_checkout_and_payment(
        client, catalog, oud, shipping_zones, html, django_capture_on_commit_callbacks,
        json_logs):
    email = "layla.buyer@example.com"
    # A guest puts the product in the cart, checks out and lands on the payment page.
    client.post(catalog.add_url(oud), {"quantity": "1"})
    checkout = client.get("/ar/checkout/")
    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post("/ar/checkout/", {**html.hidden_fields(checkout),
                                               **checkout_form_data(email=email)})
    with django_capture_on_commit_callbacks(execute=True):
        pay_page = client.get(placed["Location"])
    payment = pay_page.context["payment"]
    # Stripe.js posts the card (to the offline sandbox here); Stripe's webhooks follow.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(
            f"/stripe-sandbox/v1/payment_intents/{payment.stripe_payment_intent_id}/confirm",
            {"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": payment.client_secret,
             "card_number": cards.spaced(cards.SUCCEEDS), "locale": "ar"},
            headers={"Accept": "application/json"})
    with django_capture_on_commit_callbacks(execute=True):
        back = client.get(pay_page.context["return_url"])

    assert confirmed.status_code == 200 and back.context["outcome"] == "succeeded"
    lines = json_logs.lines()
    requests = json_logs.of("shop.requests")
    assert len(requests) == 6 and all(line["request_id"] for line in requests)
    assert json_logs.of("shop.stripe")
    assert json_logs.of("shop.tasks")
    logged = json_logs.text
    order = payment.order
    for secret in (email, "layla", order.email, order.phone, order.guest_token,
                   cards.SUCCEEDS, cards.spaced(cards.SUCCEEDS), payment.client_secret,
                   "_secret_", settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET,
                   settings.SECRET_KEY):
        assert secret not in logged, secret
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", logged), "an e-mail address was logged"
    assert not re.search(r"\b(?:\d[ -]?){13,19}\b", logged), "a card number was logged"
    assert all(line["level"] != "ERROR" for line in lines)


# --- production's console -----------------------------------------------------------------------


def test_production_prints_json_lines_and_development_plain_text():
    code = ("import django; django.setup(); import logging; "
            "logging.getLogger('shop.requests').info('GET / 200', extra={'status': 200}); "
            "logging.getLogger('apps.core').warning('plain')")
    production = run("-c", code, **production_env(
        DJANGO_SETTINGS_MODULE="config.settings.production"))
    development = run("-c", code, DJANGO_SETTINGS_MODULE="config.settings.local",
                      DJANGO_DEBUG="1")

    assert production.returncode == 0, production.stderr
    request_line, plain = (json.loads(line) for line in production.stderr.splitlines())
    assert request_line["logger"] == "shop.requests" and request_line["status"] == 200
    assert request_line["request_id"] is None and plain["message"] == "plain"
    # `make run`: no request lines of ours beside runserver's, messages as they are.
    assert development.stderr.splitlines() == ["plain"], development.stderr


def test_request_ids_generated_are_uuid4_hex():
    from django.test import RequestFactory

    from apps.core.request_id import incoming_request_id

    generated = incoming_request_id(RequestFactory().get("/"))
    assert uuid.UUID(generated).version == 4
