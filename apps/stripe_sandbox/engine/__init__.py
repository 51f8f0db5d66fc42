"""The sandbox's Stripe: Stripe-shaped objects, their state changes and the events they emit.

Objects follow Stripe's API reference (and the example objects Stripe publishes): the same
ids (pi_…, ch_…, re_…, pm_…, evt_…), statuses, fields and error bodies. Every change runs in
one database transaction; the events it emits are stored with it and delivered after commit
by a task, signed like Stripe signs them.

One module per kind of object: `core` (errors, ids, storage, events emitted, parameter
checks), `payment_intents` (intents, payment methods, charges, confirmation), `refunds`,
`event_list`. This package exposes what the sandbox's HTTP face and tools call.
"""

from apps.stripe_sandbox.engine.core import (  # noqa: F401
    Context,
    StripeErrorResponse,
    _monotonic_now,
    load,
    load_intent,
    new_id,
    not_found,
)
from apps.stripe_sandbox.engine.event_list import list_events  # noqa: F401
from apps.stripe_sandbox.engine.payment_intents import (  # noqa: F401
    cancel_payment_intent,
    confirm,
    confirm_with_params,
    create_payment_intent,
    update_payment_intent,
)
from apps.stripe_sandbox.engine.refunds import create_refund, settle_refund  # noqa: F401
