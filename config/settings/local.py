"""Development settings: `manage.py` uses these unless DJANGO_SETTINGS_MODULE says otherwise.

With DJANGO_DEBUG=0 this module becomes the production settings, so "production mode" is the
same thing whichever entry point starts the shop.
"""

import os

if os.environ.get("DJANGO_DEBUG", "1").lower() in {"0", "false", "no", "off"}:
    from .production import *  # noqa: F403
else:
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789"
    )
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from .base import *  # noqa: F403

    ALLOWED_HOSTS = ["*"]
