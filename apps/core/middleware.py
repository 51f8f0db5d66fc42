"""The one guard on text coming in: the URL path, query strings and form fields.

A NUL byte (PostgreSQL refuses it in text), another control character, or a value longer than
the storefront takes never reaches a view: the visitor gets a clear 400 (or 404 for a path)
page in their language instead of a server error. Tab, line feed and carriage return stay
allowed in form fields (a textarea's lines). Request bodies that are not forms (Stripe's JSON
webhook) are checked by their own endpoint; the Wagtail admin keeps long values (rich text)
but is refused control characters too.
"""

import re

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.http import Http404, QueryDict
from django.urls import resolve, reverse

from apps.core.views import bad_request

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_FORMS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ADMIN_PREFIXES = ("/admin/", "/django-admin/")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_values(data: QueryDict, pattern: re.Pattern, max_length: int | None) -> bool:
    for key, values in data.lists():
        for text in (key, *values):
            if not isinstance(text, str):
                continue  # an uploaded file
            if pattern.search(text) or (max_length and len(text) > max_length):
                return True
    return False


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL.search(request.path_info):
            raise Http404("control character in the path")
        admin = request.path_info.startswith(_ADMIN_PREFIXES)
        if _bad_values(request.GET, _CONTROL, None if admin else settings.SHOP_MAX_QUERY_VALUE):
            return bad_request(request, None)
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            limit = None if admin else settings.SHOP_MAX_FORM_VALUE
            if _bad_values(request.POST, _CONTROL_IN_FORMS, limit):
                return bad_request(request, None)
        return self.get_response(request)


class MachineEndpointMiddleware:
    """Endpoints that machines call (settings.MACHINE_ENDPOINTS: URL name -> the methods they
    call it with: Stripe's webhook POSTs, the load balancer's health probes and Prometheus'
    scrape GET) go straight to their view. They carry no session, language, messages or CSRF
    token and answer plain text or JSON, so none of the storefront's middleware after this
    one has work to do for them; skipping it is a large part of a webhook's time, and keeps a
    probe from touching the database it may be checking. Security headers still apply
    (SecurityMiddleware comes first) and an exception in the view gets the same error
    handling as anywhere."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: dict[str, frozenset[str]] | None = None

    def paths(self) -> dict[str, frozenset[str]]:
        if self._paths is None:  # the URLconf is loaded on the first request, not before
            paths: dict[str, frozenset[str]] = {}
            for name, methods in settings.MACHINE_ENDPOINTS.items():
                path = reverse(name)
                paths[path] = paths[path.rstrip("/") or path] = frozenset(methods)
            self._paths = paths
        return self._paths

    def __call__(self, request):
        # Only what machines send; anything else (a browser's GET of the webhook) meets the
        # usual guards and pages.
        if request.method not in self.paths().get(request.path_info, ()):
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        view = match.func
        if iscoroutinefunction(view):  # as Django's handler runs an async view under WSGI
            view = async_to_sync(view)
        return view(request, *match.args, **match.kwargs)
