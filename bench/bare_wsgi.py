"""The floor for page targets: a bare Django application served by the same gunicorn set-up
as the shop. Minimal settings (no middleware, no database, no apps), one view returning about
1 KB of HTML.

    gunicorn bench.bare_wsgi:application
"""

import secrets

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(64),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
    LOGGING_CONFIG=None,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

ITEMS = "".join(f"<li><a href=\"/ar/product-{n}/\">Product {n}</a> 100.00</li>\n"
                for n in range(1, 16))
PAGE = (
    "<!doctype html>\n<html lang=\"ar\" dir=\"rtl\">\n<head><meta charset=\"utf-8\">"
    "<title>Bare Django</title></head>\n<body>\n<h1>Bare Django view</h1>\n"
    f"<ul>\n{ITEMS}</ul>\n</body>\n</html>\n"
).encode()


def page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]

application = get_wsgi_application()
