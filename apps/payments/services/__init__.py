"""Payment rules, one module per concern. Callers import from the module that owns a rule:

* `states`: how a payment's status may move (ranks, Stripe's intent statuses, the one way
  back after a failed refund) and the row locks every change takes (order -> payment ->
  refund).
* `intents`: starting a payment (the order's PaymentIntent) and adopting one Stripe reports
  before we stored it.
* `fulfilment`: applying what Stripe reports about a PaymentIntent or a charge, and deciding
  once what money that arrived does to its order (`apply_payment_intent`).
* `refunds`: staff and automatic refunds, their approval, sending them to Stripe.
* `refund_reports`: what Stripe reports about refunds, applied to the payment and its order,
  and what is left to refund (`refund_figures`).
* `disputes`: Stripe disputes.
* `notifications`: the e-mails payments cause, with the facts each one states.
* `reconciliation`: expiring unpaid orders, catching up with Stripe after downtime.

Everywhere:

* Stripe is called only through `apps.payments.gateway`, never inside a transaction or while
  holding row locks: call Stripe first, then open the transaction and persist.
* Rows are locked in one fixed order everywhere: order -> payment -> refund.
* Payment status only moves forward (`states.should_move`): an old or repeated event never
  undoes a newer state, so every delivery order of the same events ends in the same state.
* Side effects (e-mails, refund calls) are queued with `transaction.on_commit`.
"""


class PaymentNotPossible(Exception):
    """The order cannot be paid (already paid, cancelled, ...); the message is for the
    shopper."""


class RefundRefused(PaymentNotPossible):
    """A staff refund (or its approval) is not allowed; the message is for the staff member,
    already translated."""
