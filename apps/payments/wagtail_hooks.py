"""Registers the shop's audit-log actions (apps/payments/audit.py) with Wagtail."""

from wagtail import hooks

from apps.payments.audit import ACTIONS, SIMPLE_ACTIONS, RefundLogFormatter


@hooks.register("register_log_actions")
def register_shop_log_actions(actions):
    for action, label, message in ACTIONS:
        actions.register_action(action)(
            type("RefundLogFormatter", (RefundLogFormatter,), {"label": label, "message": message})
        )
    for action, label, message in SIMPLE_ACTIONS:
        actions.register_action(action, label, message)
