"""ShippingZone now belongs to the pricing app (state only; pricing 0001 took it over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_admin_search_indexes"),
        ("pricing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ShippingZone")],
            database_operations=[],
        ),
    ]
