"""Staff refunds: one Stripe refund per submitted form, never more than was paid, approval of
large refunds by another manager, failures shown and never counted, restocking, audit log.

What reached "Stripe" is read from the sandbox's request log (SandboxRequest)."""

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
from apps.payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    StripeEvent,
)
from apps.payments.sandbox.models import SandboxRequest
from apps.payments.sandbox.services import inject_fault
from apps.payments.services import (
    RefundRefused,
    approve_refund,
    execute_refund,
    refundable_amount,
    reject_refund,
    request_refund,
    start_payment,
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


@pytest.fixture
def paid(order, sandbox):
    """The 125.00 SAR order, paid by card; its payment."""
    payment = start_payment(order=order)
    sandbox.confirm(payment.stripe_payment_intent_id, "4242424242424242")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def refund_calls(*, replayed: bool | None = None):
    calls = SandboxRequest.objects.filter(method="POST", path="/v1/refunds")
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


def test_a_double_submitted_form_makes_one_stripe_refund(paid, clerk, committed):
    first = refund(paid, by=clerk, key="form-7f3a", amount=Decimal("40.00"),
                   committed=committed)
    again = refund(paid, by=clerk, key="form-7f3a", amount=Decimal("40.00"),
                   committed=committed)
    # The admin view also calls execute_refund right after commit: still one refund.
    committed(execute_refund, refund_id=first.pk)

    assert again.pk == first.pk
    assert Refund.objects.count() == 1
    assert refund_calls().count() == 1
    call = refund_calls().get()
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
    paid, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = refund(paid, by=clerk, key="form-1", amount=Decimal("10.00"))
        again = refund(paid, by=clerk, key="form-1", amount=Decimal("10.00"))

    assert again.pk == first.pk
    assert again.status == RefundStatus.REQUESTED
    assert refund_calls().count() == 0  # nothing sent before the commit


def test_a_refund_above_what_is_left_is_refused_and_never_sent(paid, clerk, committed):
    with pytest.raises(RefundRefused, match="more than what is left"):
        refund(paid, by=clerk, key="too-much", amount=Decimal("125.01"))
    refund(paid, by=clerk, key="first", amount=Decimal("100.00"), committed=committed)
    with pytest.raises(RefundRefused, match=r"SAR\xa025\.00"):
        refund(paid, by=clerk, key="second", amount=Decimal("30.00"))
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="zero", amount=Decimal("0"))

    assert refund_calls().count() == 1
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("100.00")]


def test_amounts_are_rounded_to_the_currency(paid, clerk, committed):
    made = refund(paid, by=clerk, key="halala", amount=Decimal("10.005"), committed=committed)

    assert made.amount == Decimal("10.01")
    assert refund_calls().get().params["amount"] == "1001"


def test_only_stripe_reasons_are_accepted(paid, clerk):
    with pytest.raises(RefundRefused):
        request_refund(payment_id=paid.pk, amount=Decimal("5"), stripe_reason="changed_mind",
                       requested_by=clerk, idempotency_key="k")
    assert not Refund.objects.exists()


def test_an_unpaid_payment_cannot_be_refunded(order, clerk):
    payment = start_payment(order=order)
    with pytest.raises(RefundRefused):
        refund(payment, by=clerk, key="k", amount=Decimal("5"))


def test_partial_then_the_rest_refunds_the_order(paid, clerk, committed):
    refund(paid, by=clerk, key="a", amount=Decimal("25.00"), committed=committed)
    assert refundable_amount(Payment.objects.get(pk=paid.pk)) == Decimal("100.00")
    rest = refund(paid, by=clerk, key="b", committed=committed)  # amount None: what is left

    assert rest.amount == Decimal("100.00")
    paid.refresh_from_db()
    paid.order.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert paid.amount_refunded == Decimal("125.00")
    assert paid.order.status == OrderStatus.REFUNDED
    assert refund_calls().count() == 2
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="c")


# --- approval above the threshold ---------------------------------------------------------


@pytest.fixture
def threshold(settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("50.00")


def test_a_refund_above_the_threshold_waits_for_another_manager(
    paid, manager, other_manager, clerk, committed, threshold
):
    waiting = refund(paid, by=manager, key="big", amount=Decimal("80.00"),
                     committed=committed)
    assert waiting.status == RefundStatus.AWAITING_APPROVAL
    assert refund_calls().count() == 0
    # It already counts against what is left, so nobody can refund it twice meanwhile.
    with pytest.raises(RefundRefused):
        refund(paid, by=clerk, key="more", amount=Decimal("50.00"))

    with pytest.raises(RefundRefused, match="your own refund"):
        approve_refund(refund_id=waiting.pk, approver=manager)
    with pytest.raises(RefundRefused, match="permission"):
        approve_refund(refund_id=waiting.pk, approver=clerk)
    assert refund_calls().count() == 0

    approved = committed(approve_refund, refund_id=waiting.pk, approver=other_manager)

    assert approved.approved_by == other_manager
    assert approved.approved_at is not None
    assert refund_calls().count() == 1
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
    paid, manager, other_manager, committed, threshold
):
    waiting = refund(paid, by=manager, key="big", amount=Decimal("120.00"))
    rejected = committed(reject_refund, refund_id=waiting.pk, approver=other_manager,
                         note="Customer kept the goods")

    assert rejected.status == RefundStatus.REJECTED
    assert "Customer kept the goods" in rejected.note
    assert refund_calls().count() == 0
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
    order, sandbox, clerk, committed
):
    payment = start_payment(order=order)
    sandbox.confirm(payment.stripe_payment_intent_id, "4000000000005126")  # refunds fail

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
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        made = refund(paid, by=clerk, key="k", amount=Decimal("25.00"))
    inject_fault(kind="invalid_request", path_prefix="/v1/refunds")

    shown = execute_refund(refund_id=made.pk)  # what the admin view does after commit

    assert shown.status == RefundStatus.FAILED
    assert "Invalid request" in shown.error
    paid.refresh_from_db()
    assert paid.amount_refunded == Decimal("0")
    assert refundable_amount(paid) == Decimal("125.00")
    assert audit(paid.order)[-1] == ("payments.refund.failed", clerk.email)


def test_a_connection_error_leaves_the_refund_requested_for_the_retry(
    paid, clerk, django_capture_on_commit_callbacks, committed
):
    with django_capture_on_commit_callbacks(execute=False):
        made = refund(paid, by=clerk, key="k", amount=Decimal("25.00"))
    inject_fault(kind="connection_error", path_prefix="/v1/refunds", times=10)

    with pytest.raises(gateway.PaymentGatewayError):
        execute_refund(refund_id=made.pk)
    made.refresh_from_db()
    assert made.status == RefundStatus.REQUESTED

    SandboxRequest.objects.all().delete()
    from apps.payments.sandbox.models import SandboxObject

    SandboxObject.objects.filter(kind="fault").delete()
    committed(execute_refund, refund_id=made.pk)  # the task's retry
    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED
    assert refund_calls().count() == 1


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
