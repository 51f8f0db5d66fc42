from django.db import migrations


def create_counter(apps, schema_editor):
    apps.get_model("orders", "OrderNumberCounter").objects.get_or_create(name="order")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
