"""Settings of the benchmark's throwaway deployment: the shop's production settings, plus a
URLconf with one extra view (`bench/verify-only/`, see bench/urls.py) and the deployment's
files under var/bench/.

`bench/run.py` sets the environment (DJANGO_DEBUG=0 and every variable production requires);
`config.settings.local` then *is* the production settings module.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.local import *  # noqa: F403
from config.settings.local import DEBUG, VAR_DIR

if DEBUG:
    raise ImproperlyConfigured("bench.settings measures production: set DJANGO_DEBUG=0.")

ROOT_URLCONF = "bench.urls"
# The signature-only view takes the webhook's path through the middleware: when the shop
# sends its machine endpoints straight to their views, this one goes the same way.
if "MACHINE_ENDPOINTS" in globals():
    MACHINE_ENDPOINTS = {**globals()["MACHINE_ENDPOINTS"], "bench_verify_only": ["POST"]}
# collectstatic writes here and whitenoise serves from here (manifest storage).
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or str(VAR_DIR / "bench" / "static")
