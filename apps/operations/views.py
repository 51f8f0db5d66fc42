"""Endpoints for machines that watch the shop: the load balancer's probes and Prometheus.

Not language-prefixed, outside the storefront's middleware (settings.MACHINE_ENDPOINTS), never
cached, JSON or Prometheus text. Nothing here names a customer, an order or a key.
"""

import asyncio
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from health_check.exceptions import ServiceWarning
from health_check.views import HealthCheckView
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from apps.operations.health import readiness_checks
from apps.operations.prometheus import ShopCollector


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else (a database outage must not get
    every web process restarted; readiness takes the machine out of the load balancer)."""
    return JsonResponse({"status": "ok"})


class ReadinessView(HealthCheckView):
    """Readiness: 200 while this machine can serve ("ok", or "degraded" when only a warning
    was raised), 503 when the database or the shared cache is unreachable. Always JSON:

        {"status": "ok", "checks": {"database": {"status": "ok", "seconds": 0.001}, ...}}
    """

    checks = readiness_checks()

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        failed = [result for result in self.results if result.error]
        unavailable = any(not isinstance(result.error, ServiceWarning) for result in failed)
        status = "unavailable" if unavailable else "degraded" if failed else "ok"
        body = {"status": status, "checks": {
            result.check.name: {
                "status": ("ok" if not result.error else "warning"
                           if isinstance(result.error, ServiceWarning) else "unavailable"),
                **({"error": result.error.message} if result.error else {}),
                "seconds": round(result.time_taken, 4),
                **getattr(result.check, "figures", {}),
            }
            for result in self.results
        }}
        response = JsonResponse(body, status=503 if unavailable else 200)
        add_never_cache_headers(response)
        return response


def metrics(request: HttpRequest) -> HttpResponse:
    """The payment figures for Prometheus. Private by default: answered only to a request
    with `Authorization: Bearer <METRICS_TOKEN>` or from an address in
    METRICS_ALLOWED_IPS; with neither set, to nobody."""
    if not _may_scrape(request):
        response = HttpResponse("Unauthorized: /metrics needs its token.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ShopCollector())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode(), token.encode()
    ):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False)
               for network in settings.METRICS_ALLOWED_IPS)
