"""The shop's URLconf plus `bench/verify-only/`: the floor of any webhook endpoint (verify the
Stripe signature, parse the JSON), served by the shop's own WSGI application and middleware so
that it differs from the real webhook only in what the view does."""

import json

import stripe
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config import urls as shop_urls
from config.urls import (  # noqa: F401 - the shop's error pages
    handler400,
    handler403,
    handler404,
    handler429,
    handler500,
)


@csrf_exempt
@require_POST
def verify_only(request):
    """What the real webhook does before touching the database, and nothing more."""
    try:
        stripe.WebhookSignature.verify_header(
            request.body, request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
        json.loads(request.body)
    except (stripe.SignatureVerificationError, ValueError):
        return HttpResponse("invalid", status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse("verified", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/verify-only/", verify_only, name="bench_verify_only"),
    *shop_urls.urlpatterns,
]
