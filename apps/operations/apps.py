from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What machines that watch the shop call: the load balancer's liveness and readiness
    probes (django-health-check) and Prometheus' `/metrics` (prometheus_client). It reads the
    domain apps' figures; nothing imports it."""

    name = "apps.operations"
    label = "operations"
    verbose_name = "Operations"
