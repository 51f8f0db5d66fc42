"""ShippingZone moves here from the orders app (pricing sits below the cart, which needs it).

State only: the table, its rows and constraints stay as they are; 0002 renames the table. The
content type follows the model, so the permissions staff groups hold keep working.
"""

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="orders", model="shippingzone").update(
        app_label="pricing"
    )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="pricing", model="shippingzone").update(
        app_label="orders"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0005_admin_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ShippingZone",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name_ar", models.CharField(max_length=80, verbose_name="name (Arabic)")),
                        ("name_en", models.CharField(max_length=80, verbose_name="name (English)")),
                        ("cities", models.JSONField(blank=True, default=list, verbose_name="cities")),
                        ("rate", models.DecimalField(decimal_places=3, max_digits=12, verbose_name="shipping price")),
                        ("free_above", models.DecimalField(blank=True, decimal_places=3, help_text="Order subtotal from which shipping is free. Empty: never free.", max_digits=12, null=True, verbose_name="free shipping from")),
                        ("is_default", models.BooleanField(default=False, help_text="Used for cities no other zone lists.", verbose_name="default zone")),
                    ],
                    options={
                        "verbose_name": "shipping zone",
                        "verbose_name_plural": "shipping zones",
                        "ordering": ["-is_default", "name_en"],
                        "db_table": "orders_shippingzone",
                        "constraints": [
                            models.UniqueConstraint(condition=models.Q(("is_default", True)), fields=("is_default",), name="one_default_zone"),
                            models.CheckConstraint(condition=models.Q(("rate__gte", 0)), name="shipping_rate_not_negative"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
