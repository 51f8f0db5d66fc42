"""Staff groups for the Wagtail admin.

* Support: can enter the Wagtail admin and view orders, payments, payment attempts, refunds,
  Stripe events and e-mail records.
* Refunds: Support's, plus `payments.issue_refund`.
* Managers: Refunds', plus `payments.approve_refund` (refunds above
  settings.REFUND_APPROVAL_THRESHOLD).

Permissions are normally created after `migrate` (post_migrate), so the ones needed here are
created if missing. Re-running is harmless; permissions added to the groups by hand stay.
"""

from django.db import migrations

SUPPORT = "Support"
REFUNDS = "Refunds"
MANAGERS = "Managers"

# (app_label, model, codename, default name)
SUPPORT_PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
    ("orders", "order", "view_order", "Can view order"),
    ("payments", "payment", "view_payment", "Can view payment"),
    ("payments", "paymentattempt", "view_paymentattempt", "Can view payment attempt"),
    ("payments", "refund", "view_refund", "Can view refund"),
    ("payments", "stripeevent", "view_stripeevent", "Can view Stripe event"),
    ("emails", "emailrecord", "view_emailrecord", "Can view e-mail"),
]
REFUNDS_PERMISSIONS = [("payments", "refund", "issue_refund", "Can issue refunds")]
MANAGERS_PERMISSIONS = [
    ("payments", "refund", "approve_refund", "Can approve refunds above the threshold"),
]

GROUPS = {
    SUPPORT: SUPPORT_PERMISSIONS,
    REFUNDS: SUPPORT_PERMISSIONS + REFUNDS_PERMISSIONS,
    MANAGERS: SUPPORT_PERMISSIONS + REFUNDS_PERMISSIONS + MANAGERS_PERMISSIONS,
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group_name, wanted in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        for app_label, model, codename, name in wanted:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_staff_refunds"),
        ("orders", "0004_refund_states_dispute"),
        ("emails", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
