"""Status-change notes become a reason code plus parameters, put into words when shown.

Notes stored before were English sentences; each known one is read once here into its code
and parameters (the only place that parses them), and the note is cleared.
"""

import re

from django.db import migrations, models

# The sentences the services used to store, and the reason each one becomes.
OLD_NOTES = [
    (re.compile(r"^order placed$"), "order_placed"),
    (re.compile(r"^reservation expired$"), "reservation_expired"),
    (re.compile(r"^Stripe payment (?P<payment_intent>\S+?) \(after the reservation expired\)$"),
     "paid_after_expiry"),
    (re.compile(r"^Stripe payment (?P<payment_intent>\S+?)$"), "paid"),
    (re.compile(r"^Stripe refunds (?P<payment_intent>\S+?): (?P<amount>\S+?) (?P<currency>\S+?)$"),
     "refunded"),
    (re.compile(r"^Stripe refund (?P<refund>\S+?) failed after it succeeded; refunded now: "
                r"(?P<amount>\S+?) (?P<currency>\S+?)$"), "refund_failed"),
]


def notes_to_reasons(apps, schema_editor):
    OrderStatusChange = apps.get_model("orders", "OrderStatusChange")
    for change in OrderStatusChange.objects.exclude(note="").iterator():
        for pattern, reason in OLD_NOTES:
            match = pattern.match(change.note)
            if match:
                change.reason = reason
                change.params = match.groupdict()
                change.note = ""
                change.save(update_fields=["reason", "params", "note"])
                break


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0006_shippingzone_moved_to_pricing'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderstatuschange',
            name='params',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='orderstatuschange',
            name='reason',
            field=models.CharField(blank=True, choices=[('order_placed', 'Order placed'), ('reservation_expired', 'Stock reservation expired'), ('paid', 'Paid with Stripe'), ('paid_after_expiry', 'Paid after the reservation expired'), ('refunded', 'Refunded with Stripe'), ('refund_failed', 'A refund failed after it had succeeded')], max_length=40),
        ),
        migrations.AlterField(
            model_name='order',
            name='dispute_status',
            field=models.CharField(blank=True, choices=[('warning_needs_response', 'Inquiry: needs a response'), ('warning_under_review', 'Inquiry under review'), ('warning_closed', 'Inquiry closed'), ('needs_response', 'Needs a response'), ('under_review', 'Under review'), ('charge_refunded', 'Closed: charge refunded'), ('won', 'Won'), ('lost', 'Lost')], db_index=True, max_length=40, verbose_name='dispute'),
        ),
        migrations.RunPython(notes_to_reasons, migrations.RunPython.noop),
    ]
