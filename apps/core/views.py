"""The shop's error pages (400, 403, 404, 429, 500) in the language of the URL, in the shop's
design, with a search box and a way home. `config/urls.py` names them as Django's handlers;
django-ratelimit (RATELIMIT_VIEW) and allauth (handler429) answer with `rate_limited`."""

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token


def _error_page(request, status: int, template: str):
    return render(request, template, {"status": status}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error_page(request, 400, "errors/400.html")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error_page(request, 403, "errors/403.html")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error_page(request, 404, "errors/404.html")


def rate_limited(request, exception=None):
    response = _error_page(request, 429, "errors/429.html")
    response["Retry-After"] = "60"
    return response


@requires_csrf_token
def server_error(request):
    """Rendered without the context processors, which may need the database that just
    failed: only the language and the shop's name."""
    is_english = (translation.get_language() or "ar").startswith("en")
    name = settings.SHOP_IDENTITY["name_en" if is_english else "name_ar"]
    template = loader.get_template("errors/500.html")
    return HttpResponseServerError(template.render({"request": request, "shop_name": name}))
