from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop's seed (`manage.py seed_demo`): catalog, pictures, shipping zones, staff
    and a customer. It builds on every app and no app builds on it."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo"
