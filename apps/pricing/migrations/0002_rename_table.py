from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0001_initial"),
        ("orders", "0006_shippingzone_moved_to_pricing"),
    ]

    operations = [
        migrations.AlterModelTable(name="shippingzone", table=None),
    ]
