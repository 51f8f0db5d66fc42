"""Staff refunds: one Stripe refund per submitted form, never more than was paid, approval of
large refunds by another manager, failures shown and never counted, restocking, audit log.

What reached "Stripe" is read from its request log (the `stripe_log` fixture)."""

import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import ModelLogEntry

from apps.catalog.models import Product
from apps.orders.models import OrderStatus
from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    StripeEvent,
)
from apps.payments.services import RefundRefused
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import (
    approve_refund,
    execute_refund,
    refundable_amount,
    reject_refund,
    request_refund,
)
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CUSTOMER = "requested_by_customer"


@pytest.fixture(autouse=True)
def _english_admin():
    """Staff messages asserted in English (the admin language of these staff members)."""
    with translation.override("en"):
        yield


def staff(group: str, email: str):
    user = UserFactory(email=email)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def clerk(db):
    return staff("Refunds", "clerk@gulf-emperor.example")


@pytest.fixture
def manager(db):
    return staff("Managers", "manager@gulf-emperor.example")


@pytest.fixture
def other_manager(db):
    return staff("Managers", "manager2@gulf-emperor.example")


def refund_calls(stripe_log, *, replayed: bool | None = None):
    calls = stripe_log.requests.filter(method="POST", path="/v1/refunds")
    if replayed is not None:
        calls = calls.filter(replayed=replayed)
    return calls


def refund(payment, *, by, key, amount=None, committed=None, **extra):
    kwargs = dict(payment_id=payment.pk, amount=amount, stripe_reason=CUSTOMER,
                  requested_by=by, idempotency_key=key, **extra)
    if committed is None:
        return request_refund(**kwargs)
    return committed(request_refund, **kwargs)


def audit(order):
    return list(
        ModelLogEntry.objects.filter(object_id=str(order.pk), action__startswith="payments.")
        .order_by("pk")
        .values_list("action", "user__email")
    )


# --- one form, one refund -----------------------------------------------------------------


def test_a_double_submitted_form_makes_one_stripe_refund(paid, clerk, committed, stripe_log):
    first = refund(paid, by=clerk, key="form-7f3a", amount=Decimal("40.00"),
                   committed=committed)
    again = refund(paid, by=clerk, key="form-7f3a", amount=Decimal("40.00"),
                   committed=committed)
    # The admin view also calls execute_refund right after commit: still one refund.
    committed(execute_refund, refund_id=first.pk)

    assert again.pk == first.pk
    assert Refund.objects.count() == 1
    assert refund_calls(stripe_log).count() == 1
    call = refund_calls(stripe_log).get()
    assert call.status == 200
    assert call.params["amount"] == "4000"
    assert call.params["reason"] == CUSTOMER
    assert call.idempotency_key == first.idempotency_key
    first.refresh_from_db()
    paid.refresh_from_db()
    assert first.status == RefundStatus.SUCCEEDED
    assert first.reason == RefundReason.STAFF
    assert first.requested_by == clerk
    assert paid.amount_refunded == Decimal("40.00")
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PARTIALLY_REFUNDED


def test_resubmitting_while_the_first_is_on_its_way_changes_nothing(
    paid, clerk, django_capture_on_commit_callbacks, stripe_log
):
    with django_capture_on_commit_callbacks(execute=False):
        first = refund(paid, by=clerk, key="form-1", amount=Decimal("10.00"))
        again = refund(paid, by=clerk, key="form-1", amount=Decimal("10.00"))

    assert again.pk == first.pk
    assert again.status == RefundStatus.REQUESTED
    assert refund_calls(stripe_log).count() == 0  # nothing sent before the commit


def test_a_refund_above_what_is_left_is_refused_and_never_sent(paid, clerk, committed,
                                                               stripe_log):
    with pytest.raises(RefundRefused, match="more than what is left"):
        refund(paid, by=clerk, key="too-much", amount=Decimal("125.01"))
    refund(paid, by=clerk, key="first", amount=Decimal("100.00"), committed=committed)
    with pytest.raises(RefundRefused, match=r"SAR\xa025\.00"):
        refund(paid, by=clerk, key="second", amount=Decimal("30.00"))
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="zero", amount=Decimal("0"))

    assert refund_calls(stripe_log).count() == 1
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_amounts_off_the_currency_step_are_refused_not_rounded(paid, clerk, committed,
                                                               stripe_log):
    with pytest.raises(RefundRefused, match="steps of 0.01"):
        refund(paid, by=clerk, key="halala", amount=Decimal("10.005"), committed=committed)

    assert refund_calls(stripe_log).count() == 0
    assert not Refund.objects.exists()


def test_only_stripe_reasons_are_accepted(paid, clerk):
    with pytest.raises(RefundRefused):
        request_refund(payment_id=paid.pk, amount=Decimal("5"), stripe_reason="changed_mind",
                       requested_by=clerk, idempotency_key="k")
    assert not Refund.objects.exists()


def test_an_unpaid_payment_cannot_be_refunded(order, clerk):
    payment = start_payment(order=order)
    with pytest.raises(RefundRefused):
        refund(payment, by=clerk, key="k", amount=Decimal("5"))


def test_partial_then_the_rest_refunds_the_order(paid, clerk, committed, stripe_log):
    refund(paid, by=clerk, key="a", amount=Decimal("25.00"), committed=committed)
    assert refundable_amount(Payment.objects.get(pk=paid.pk)) == Decimal("100.00")
    rest = refund(paid, by=clerk, key="b", committed=committed)  # amount None: what is left

    assert rest.amount == Decimal("100.00")
    paid.refresh_from_db()
    paid.order.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert paid.amount_refunded == Decimal("125.00")
    assert paid.order.status == OrderStatus.REFUNDED
    assert refund_calls(stripe_log).count() == 2
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="c")


# --- approval above the threshold ---------------------------------------------------------


@pytest.fixture
def threshold(settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("50.00")


def test_a_refund_above_the_threshold_waits_for_another_manager(
    paid, manager, other_manager, clerk, committed, threshold, stripe_log
):
    waiting = refund(paid, by=manager, key="big", amount=Decimal("80.00"),
                     committed=committed)
    assert waiting.status == RefundStatus.AWAITING_APPROVAL
    assert refund_calls(stripe_log).count() == 0
    # It already counts against what is left, so nobody can refund it twice meanwhile.
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="more", amount=Decimal("50.00"))

    with pytest.raises(RefundRefused, match="your own refund"):
        approve_refund(refund_id=waiting.pk, approver=manager)
    with pytest.raises(RefundRefused, match="permission"):
        approve_refund(refund_id=waiting.pk, approver=clerk)
    assert refund_calls(stripe_log).count() == 0

    approved = committed(approve_refund, refund_id=waiting.pk, approver=other_manager)

    assert approved.approved_by == other_manager
    assert approved.approved_at is not None
    assert refund_calls(stripe_log).count() == 1
    approved.refresh_from_db()
    paid.order.refresh_from_db()
    assert approved.status == RefundStatus.SUCCEEDED
    assert paid.order.status == OrderStatus.PARTIALLY_REFUNDED
    assert audit(paid.order) == [
        ("payments.refund.awaiting_approval", manager.email),
        ("payments.refund.approved", other_manager.email),
        ("payments.refund.sent", other_manager.email),
        ("payments.refund.succeeded", None),
    ]
    with pytest.raises(RefundRefused, match="not awaiting approval"):
        approve_refund(refund_id=waiting.pk, approver=other_manager)


def test_up_to_the_threshold_needs_no_approval(paid, clerk, committed, threshold):
    made = refund(paid, by=clerk, key="edge", amount=Decimal("50.00"), committed=committed)

    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED
    assert audit(paid.order) == [
        ("payments.refund.requested", clerk.email),
        ("payments.refund.sent", clerk.email),
        ("payments.refund.succeeded", None),
    ]


def test_a_rejected_refund_is_never_sent_and_stops_counting(
    paid, manager, other_manager, committed, threshold, stripe_log
):
    waiting = refund(paid, by=manager, key="big", amount=Decimal("120.00"))
    rejected = committed(reject_refund, refund_id=waiting.pk, approver=other_manager,
                         note="Customer kept the goods")

    assert rejected.status == RefundStatus.REJECTED
    assert "Customer kept the goods" in rejected.note
    assert refund_calls(stripe_log).count() == 0
    assert refundable_amount(paid) == Decimal("125.00")
    with pytest.raises(RefundRefused):
        approve_refund(refund_id=waiting.pk, approver=other_manager)
    assert audit(paid.order)[-1] == ("payments.refund.rejected", other_manager.email)


def test_approval_checks_the_remainder_again(
    paid, manager, other_manager, committed, threshold, django_capture_on_commit_callbacks
):
    waiting = refund(paid, by=manager, key="big", amount=Decimal("100.00"))
    # Meanwhile 50 SAR were refunded in the Stripe Dashboard.
    with django_capture_on_commit_callbacks(execute=True):
        gateway.create_refund(payment_intent_id=paid.stripe_payment_intent_id,
                              amount=Decimal("50.00"), currency="SAR",
                              idempotency_key="dashboard-1")

    with pytest.raises(RefundRefused, match="more than what is left"):
        approve_refund(refund_id=waiting.pk, approver=other_manager)
    waiting.refresh_from_db()
    assert waiting.status == RefundStatus.AWAITING_APPROVAL


# --- failures -----------------------------------------------------------------------------


def test_a_refund_stripe_fails_later_is_shown_failed_and_never_counted(
    order, card_holder, clerk, committed
):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.REFUND_FAILS)  # refunds fail

    made = refund(payment, by=clerk, key="k", amount=Decimal("25.00"), committed=committed)

    made.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert made.status == RefundStatus.FAILED
    assert made.error == "expired_or_canceled_card"
    assert payment.amount_refunded == Decimal("0")
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID
    assert refundable_amount(payment) == Decimal("125.00")
    assert ("payments.refund.failed", None) in audit(order)


def test_stripe_refusing_the_refund_marks_it_failed_for_staff(paid, clerk,
                                                              django_capture_on_commit_callbacks,
                                                              stripe_faults):
    with django_capture_on_commit_callbacks(execute=False):
        made = refund(paid, by=clerk, key="k", amount=Decimal("25.00"))
    stripe_faults(kind="invalid_request", path_prefix="/v1/refunds")

    shown = execute_refund(refund_id=made.pk)  # what the admin view does after commit

    assert shown.status == RefundStatus.FAILED
    assert "Invalid request" in shown.error
    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("0")
    assert refundable_amount(paid) == Decimal("125.00")
    assert audit(paid.order)[-1] == ("payments.refund.failed", clerk.email)


def test_a_connection_error_leaves_the_refund_requested_for_the_retry(
    paid, clerk, django_capture_on_commit_callbacks, committed, stripe_log, stripe_faults
):
    with django_capture_on_commit_callbacks(execute=False):
        made = refund(paid, by=clerk, key="k", amount=Decimal("25.00"))
    stripe_faults(kind="connection_error", path_prefix="/v1/refunds", times=10)

    with pytest.raises(gateway.PaymentGatewayError):
        execute_refund(refund_id=made.pk)
    made.refresh_from_db()
    assert made.status == RefundStatus.REQUESTED

    stripe_log.requests.all().delete()
    stripe_log.objects.filter(kind="fault").delete()
    committed(execute_refund, refund_id=made.pk)  # the task's retry
    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED
    assert refund_calls(stripe_log).count() == 1


# --- restock ------------------------------------------------------------------------------


def test_restock_puts_the_units_back_once(paid, clerk, committed):
    product = Product.objects.get(pk=paid.order.lines.get().product_id)
    assert product.stock == 49

    refund(paid, by=clerk, key="a", amount=Decimal("25.00"), restock=True,
           committed=committed)
    product.refresh_from_db()
    assert product.stock == 50
    refund(paid, by=clerk, key="b", restock=True, committed=committed)

    product.refresh_from_db()
    assert product.stock == 50
    actions = [action for action, _user in audit(paid.order)]
    assert actions.count("payments.refund.restocked") == 1


def test_no_restock_unless_asked_nor_before_the_refund_succeeds(
    paid, clerk, django_capture_on_commit_callbacks, committed
):
    product = Product.objects.get(pk=paid.order.lines.get().product_id)
    with django_capture_on_commit_callbacks(execute=False):
        refund(paid, by=clerk, key="a", amount=Decimal("25.00"), restock=True)
    product.refresh_from_db()
    assert product.stock == 49  # not sent yet

    refund(paid, by=clerk, key="b", amount=Decimal("25.00"), committed=committed)
    product.refresh_from_db()
    assert product.stock == 49


# --- groups, events -----------------------------------------------------------------------


def test_staff_groups_have_the_right_permissions(db):
    support = staff("Support", "support@gulf-emperor.example")
    clerk = staff("Refunds", "refunds@gulf-emperor.example")
    manager = staff("Managers", "boss@gulf-emperor.example")
    viewing = {"wagtailadmin.access_admin", "orders.view_order", "payments.view_payment",
               "payments.view_refund", "payments.view_stripeevent", "emails.view_emailrecord"}

    assert all(support.has_perm(perm) for perm in viewing)
    assert not support.has_perm("payments.issue_refund")
    assert clerk.has_perm("payments.issue_refund")
    assert not clerk.has_perm("payments.approve_refund")
    assert manager.has_perm("payments.issue_refund")
    assert manager.has_perm("payments.approve_refund")
    assert not manager.has_perm("payments.change_refund")


def test_stripe_events_know_their_payment_intent(paid, clerk, committed):
    refund(paid, by=clerk, key="a", amount=Decimal("25.00"), committed=committed)

    types = set(
        StripeEvent.objects.filter(payment_intent_id=paid.stripe_payment_intent_id)
        .values_list("type", flat=True)
    )
    assert {"payment_intent.succeeded", "charge.succeeded", "charge.refunded",
            "refund.created", "refund.updated"} <= types
    assert not StripeEvent.objects.filter(payment_intent_id="").exists()


def test_refund_requests_use_few_queries(paid, clerk, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=False):
            refund(paid, by=clerk, key="a", amount=Decimal("25.00"))
    assert len(queries) < 25


def test_staff_without_issue_refund_cannot_refund(paid):
    support = staff("Support", "support@gulf-emperor.example")
    with pytest.raises(RefundRefused, match="permission"):
        refund(paid, by=support, key="k", amount=Decimal("5"))
    assert not Refund.objects.exists()


# --- review fixes: paid twice, failures after success, steps, split approvals, what is left -


def pay_again(order, card_holder):
    """A second PaymentIntent for an already paid order (e.g. a second tab that created it
    before the first payment landed), paid in the card_holder: Stripe takes the money twice and
    the shop refunds the duplicate automatically."""
    intent = gateway.create_payment_intent(
        amount=order.total, currency=order.currency, order_id=order.pk,
        order_number=order.number, order_public_id=order.public_id, sequence=2,
        description=f"Order {order.number}",
    )
    card_holder.confirm(intent["id"], cards.SUCCEEDS)
    return Payment.objects.get(stripe_payment_intent_id=intent["id"])


def test_an_order_paid_twice_is_refunded_from_the_payment_that_paid_it(
    paid, card_holder, clerk, committed
):
    from apps.backoffice.selectors import refundable_payment
    from apps.payments.models import Settlement

    duplicate = pay_again(paid.order, card_holder)
    assert duplicate.settlement == Settlement.REFUND_DUPLICATE
    assert duplicate.status == PaymentStatus.REFUNDED  # the automatic refund succeeded
    assert duplicate.created_at > paid.created_at

    summary = refundable_payment(paid.order)

    assert summary.payment == paid
    assert summary.refundable == Decimal("125.00")
    made = refund(paid, by=clerk, key="after-dup", amount=Decimal("25.00"),
                  committed=committed)
    made.refresh_from_db()
    paid.order.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED
    assert paid.order.status == OrderStatus.PARTIALLY_REFUNDED


def failed_later(post_event, stripe_log, refund_row, *, status="failed"):
    """Stripe's `refund.updated` for a refund it had reported succeeded: the refund object as
    Stripe holds it, now failed (a closed card), signed like Stripe."""
    from apps.payments.tests.factories import event_payload

    data = dict(stripe_log.objects.get(id=refund_row.stripe_refund_id).data)
    assert data["status"] == "succeeded"
    data.update(status=status, failure_reason="expired_or_canceled_card")
    response = post_event(event_payload("refund.updated", data))
    assert response.status_code == 200


def test_a_refund_failing_after_it_succeeded_stops_counting(
    paid, clerk, committed, post_event, stripe_log
):
    first = refund(paid, by=clerk, key="a", amount=Decimal("40.00"), committed=committed)
    second = refund(paid, by=clerk, key="b", amount=Decimal("85.00"), committed=committed)
    paid.refresh_from_db()
    paid.order.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert paid.order.status == OrderStatus.REFUNDED

    second.refresh_from_db()
    failed_later(post_event, stripe_log, second)

    second.refresh_from_db()
    paid.refresh_from_db()
    order = paid.order
    order.refresh_from_db()
    assert second.status == RefundStatus.FAILED
    assert second.error == "expired_or_canceled_card"
    assert paid.amount_refunded == Decimal("40.00")
    assert paid.status == PaymentStatus.PARTIALLY_REFUNDED
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert refundable_amount(paid) == Decimal("85.00")
    change = order.status_changes.order_by("-pk").first()
    assert (change.from_status, change.to_status) == ("refunded", "partially_refunded")
    assert change.reason == "refund_failed"
    assert change.params["refund"] == second.stripe_refund_id
    assert ("payments.refund.failed", None) in audit(order)

    # The last one fails too: back to paid, nothing refunded.
    first.refresh_from_db()
    failed_later(post_event, stripe_log, first)
    paid.refresh_from_db()
    order.refresh_from_db()
    assert paid.amount_refunded == Decimal("0")
    assert paid.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID
    assert refundable_amount(paid) == Decimal("125.00")
    # A late redelivery of the old "succeeded" never brings it back.
    from apps.payments.tests.factories import event_payload

    old = stripe_log.objects.get(id=first.stripe_refund_id).data
    assert post_event(event_payload("refund.updated", old)).status_code == 200
    first.refresh_from_db()
    paid.refresh_from_db()
    assert first.status == RefundStatus.FAILED
    assert paid.status == PaymentStatus.SUCCEEDED


def test_a_staff_refund_is_refused_off_the_currency_step(settings, clerk, card_holder, committed,
                                                        stripe_log):
    from apps.catalog.tests.factories import ProductFactory
    from apps.payments.tests.factories import place_test_order

    settings.SHOP_CURRENCY = "KWD"
    order = place_test_order(product=ProductFactory(price=Decimal("10.000"), stock=5))
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    payment.refresh_from_db()
    assert payment.currency == "KWD" and payment.is_paid

    with pytest.raises(RefundRefused, match="steps of 0.010"):
        refund(payment, by=clerk, key="fils", amount=Decimal("1.005"))
    assert refund_calls(stripe_log).count() == 0
    made = refund(payment, by=clerk, key="ok", amount=Decimal("1.010"), committed=committed)
    assert refund_calls(stripe_log).get().params["amount"] == "1010"
    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED


def test_the_threshold_counts_earlier_staff_refunds_of_the_payment(
    product, card_holder, clerk, committed, settings, stripe_log
):
    from apps.payments.tests.factories import place_test_order

    settings.REFUND_APPROVAL_THRESHOLD = Decimal("1000.00")
    order = place_test_order(product=product, quantity=15)  # 1,500.00 SAR (free shipping)
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    assert order.total == Decimal("1500.00")

    first = refund(payment, by=clerk, key="one", amount=Decimal("600.00"), committed=committed)
    second = refund(payment, by=clerk, key="two", amount=Decimal("600.00"),
                    committed=committed)

    first.refresh_from_db()
    assert first.status == RefundStatus.SUCCEEDED
    assert second.status == RefundStatus.AWAITING_APPROVAL
    assert refund_calls(stripe_log).count() == 1


def test_a_rejected_or_failed_staff_refund_does_not_count_towards_the_threshold(
    paid, clerk, manager, committed, threshold
):
    waiting = refund(paid, by=clerk, key="big", amount=Decimal("60.00"))
    reject_refund(refund_id=waiting.pk, approver=manager)

    made = refund(paid, by=clerk, key="small", amount=Decimal("50.00"), committed=committed)

    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED


def test_left_to_refund_adds_refunds_in_flight_to_what_stripe_refunded(
    paid, clerk, post_event, django_capture_on_commit_callbacks
):
    from apps.payments.tests.factories import charge_payload, event_payload

    # 30.00 refunded in the Stripe Dashboard: only the charge tells us (no refund row).
    charge = charge_payload(paid, charge_id=paid.stripe_charge_id, amount_refunded=3000)
    charge["refunds"] = {"object": "list", "data": []}
    assert post_event(event_payload("charge.refunded", charge)).status_code == 200
    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("30.00")
    # A 90.00 staff refund, recorded but not yet confirmed by Stripe.
    with django_capture_on_commit_callbacks(execute=False):
        refund(paid, by=clerk, key="in-flight", amount=Decimal("90.00"))

    assert refundable_amount(paid) == Decimal("5.00")
    with translation.override("en"), pytest.raises(RefundRefused, match=r"SAR\xa05\.00"):
        refund(paid, by=clerk, key="more", amount=Decimal("10.00"))


def test_a_failed_refund_already_taken_out_by_stripe_is_not_subtracted_again(
    order, card_holder, clerk, committed, post_event
):
    from apps.payments.tests.factories import charge_payload, event_payload

    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.REFUND_FAILS)  # refunds fail
    failing = refund(payment, by=clerk, key="k", amount=Decimal("25.00"), committed=committed)
    failing.refresh_from_db()
    assert failing.status == RefundStatus.FAILED
    payment.refresh_from_db()

    # A late delivery of a report from before the failure still counts the failed 25.00:
    # it is taken out.
    before = charge_payload(payment, charge_id=payment.stripe_charge_id, amount_refunded=2500)
    assert post_event(event_payload("charge.refunded", before,
                                    created=int(time.time()) - 60)).status_code == 200
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("0")

    # Later 30.00 is refunded in the Dashboard; Stripe's figure no longer has the failed 25.
    charge = charge_payload(payment, charge_id=payment.stripe_charge_id, amount_refunded=3000)
    assert post_event(event_payload("charge.refunded", charge,
                                    created=int(time.time()) + 1)).status_code == 200

    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("30.00")
    assert refundable_amount(payment) == Decimal("95.00")


def test_the_order_moves_before_the_refund_email_is_queued(paid, clerk, committed):
    from apps.emails.models import EmailKind, EmailRecord

    refund(paid, by=clerk, key="order", amount=Decimal("25.00"), committed=committed)

    change = paid.order.status_changes.get(to_status=OrderStatus.PARTIALLY_REFUNDED)
    email = EmailRecord.objects.get(order=paid.order, kind=EmailKind.REFUND)
    assert change.created_at <= email.created_at
