import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0004_refund_states_dispute"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["phone"], name="order_phone_idx"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                django.db.models.functions.text.Lower("email"), name="order_email_lower_idx"
            ),
        ),
    ]
