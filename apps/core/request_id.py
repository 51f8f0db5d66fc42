"""Every request gets an id: the caller's `X-Request-ID` when it is a sane one (a proxy or
load balancer that already set it), else a new one. Every log line written while the request
is served carries it (apps.core.logging.RequestContext), the response returns it, and in
production one line per request records it with the method, the path (no query string, a
token in the path masked), the status and the time taken: no e-mail address, no IP address.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

from apps.core import logging as log_context

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# URL parts that are credentials: a guest's order link, allauth's password-reset and e-mail
# confirmation keys. Logged as "<token>", never their value.
SECRET_URL_PARTS = frozenset({"token", "key", "uidb36", "uidb64"})

request_logger = logging.getLogger("shop.requests")
# The load balancer's probes come every few seconds from every balancer: a line only when
# one fails.
PROBE_PREFIX = "/health/"


def incoming_request_id(request: HttpRequest) -> str:
    given = request.headers.get(HEADER, "")
    return given if _SANE.fullmatch(given) else uuid.uuid4().hex


def loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in (match.kwargs.items() if match else ()):
        if name in SECRET_URL_PARTS and value:
            path = path.replace(str(value), f"<{name}>")
    return path


class RequestIdMiddleware:
    """First in MIDDLEWARE, so the id covers everything (a redirect to https, the webhook, a
    cached page) and the line times the whole response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = incoming_request_id(request)
        token = log_context.request_id.set(request.request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request.request_id
            probe_ok = request.path.startswith(PROBE_PREFIX) and response.status_code < 400
            if request_logger.isEnabledFor(logging.INFO) and not probe_ok:
                path = loggable_path(request)
                request_logger.info(
                    "%s %s %s", request.method, path, response.status_code,
                    extra={"method": request.method, "path": path,
                           "status": response.status_code,
                           "duration_ms": round((time.monotonic() - started) * 1000, 1)},
                )
            return response
        finally:
            log_context.request_id.reset(token)
