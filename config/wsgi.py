"""The application gunicorn serves (`gunicorn config.wsgi`).

In production it first runs every system check, the deployment ones included, and refuses to
load on an error (apps.core.checks.refuse_to_serve; docs/production-checks.md): settings
that import fine but are incomplete never serve a customer.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

if getattr(settings, "SHOP_PRODUCTION", False):
    from apps.core.checks import refuse_to_serve

    refuse_to_serve()
