"""Settings shared by every environment. Everything that differs comes from the environment.

See `.env.example` for every variable and its safe default.
"""

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.core",
    "apps.users",
    "apps.catalog",
    "apps.pricing",
    "apps.cart",
    "apps.orders",
    "apps.invoices",
    "apps.emails",
    "apps.payments",
    "apps.backoffice",
    "apps.operations",
    "apps.demo",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "anymail",
    "csp",
    "django_ratelimit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # First: a request id for every log line of the request (and the request's own line).
    "apps.core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Stripe's webhook straight to its view: none of what follows concerns a machine.
    "apps.core.middleware.MachineEndpointMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous visitors' catalog pages straight from memory; before everything that reads
    # sessions, languages or cookies. (A cached page keeps the headers it was stored with.)
    "apps.core.pagecache.PageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view, once the language and the visitor are known: a refusal is a page in
    # their language.
    "apps.core.middleware.InputGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # A view over its abuse limit answers the translated 429 page (RATELIMIT_VIEW).
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
# URL names of the endpoints only machines call, and with which methods
# (MachineEndpointMiddleware): Stripe's webhook, the health probes, Prometheus' scrape.
MACHINE_ENDPOINTS = {
    "stripe_webhook": ["POST"],
    "health_live": ["GET", "HEAD"],
    "health_ready": ["GET", "HEAD"],
    "metrics": ["GET"],
}
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "apps.core.context_processors.shop",
                "apps.cart.context_processors.cart_count",
                "apps.orders.context_processors.unpaid_order",
                "apps.catalog.context_processors.navigation",
            ],
        },
    },
]

# SQLite in var/ by default; PostgreSQL (or anything dj-database-url style) via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so the web process and the task
    # worker queue up instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A database that does not answer fails the readiness probe in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "orders:my_orders"

# --- Languages -------------------------------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("SHOP_TIME_ZONE", default="Asia/Riyadh")
FORMAT_MODULE_PATH = ["config.formats"]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = [("ar", "العربية"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("ar", "العربية"), ("en", "English")]
# No staff e-mail hashes to gravatar.com (a third party; unreachable offline).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_USER_LOGIN_FORM = "apps.backoffice.forms.LoginForm"

# --- Caches ---------------------------------------------------------------------------
# "shared" is seen by every process (gunicorn workers, the task worker) and machine: the rate
# limits count there. Embedded default: the database (apps/core/cache.py, table created by
# `manage.py createcachetable`). "default" holds what each process may keep for itself
# (Wagtail's site lookups). With REDIS_URL both are Redis (django-redis).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # An unreachable Redis fails a request (and the readiness probe) in seconds, not minutes.
    _redis_options = {"SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=2.0),
                      "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=2.0)}
    CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                    "OPTIONS": _redis_options},
        "shared": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                   "KEY_PREFIX": "shared", "OPTIONS": _redis_options},
        "pages": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                  "KEY_PREFIX": "pages", "OPTIONS": _redis_options},
    }
    # Sessions read from the shared Redis, written through to the database behind it: any
    # web machine serves any visitor, and a Redis restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "shared"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": "apps.core.cache.DatabaseCache", "LOCATION": "shop_cache",
                   "OPTIONS": {"MAX_ENTRIES": 100_000}},
        # Each process keeps its own copy of the pages; their versions are shared (below).
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                  "LOCATION": "pages", "OPTIONS": {"MAX_ENTRIES": 5_000}},
    }
# The page cache for anonymous visitors' catalog pages (apps/core/pagecache.py): where pages
# are kept, and the registry of their tags' versions that every process reads: a file on one
# machine, Redis across machines. SHOP_RELEASE (e.g. the git commit) keeps a new release
# from serving the previous one's pages out of Redis.
PAGE_CACHE = {
    "ENABLED": env.bool("PAGE_CACHE_ENABLED", default=True),
    "STORE": "pages",
    "VERSIONS": env("PAGE_CACHE_VERSIONS", default="cache:shared" if REDIS_URL
                    else f"file:{VAR_DIR / 'page-cache' / 'versions.json'}"),
    "TIMEOUT": 24 * 60 * 60,
    "RELEASE": env("SHOP_RELEASE", default=""),
}
if not REDIS_URL:
    # django-ratelimit only knows Django's own database cache, whose increment is not atomic;
    # apps.core.cache.DatabaseCache makes it atomic.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# --- Abuse limits (django-ratelimit, in the shared cache) --------------------------------
# Sign-in, sign-up and password reset are limited here too (apps/users/account_urls.py), not
# by allauth's own limits, which count in the per-process "default" cache.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "shared"
RATELIMIT_VIEW = "apps.core.views.rate_limited"
# Proxies put the visitor's address first in X-Forwarded-For; set RATELIMIT_IP_META_KEY to
# "HTTP_X_FORWARDED_FOR" (or the header your proxy sets) behind a proxy you trust.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
# Per visitor (IP address) and per session; "<count>/<period>" as django-ratelimit reads it.
SHOP_RATE_LIMITS = {
    "checkout": env("RATE_LIMIT_CHECKOUT", default="10/m"),
    "add_to_cart": env("RATE_LIMIT_ADD_TO_CART", default="40/m"),
    "order_link": env("RATE_LIMIT_ORDER_LINK", default="30/m"),
    "stripe_confirm": env("RATE_LIMIT_STRIPE_CONFIRM", default="20/m"),
    "sign_in": env("RATE_LIMIT_SIGN_IN", default="10/m"),
    "sign_in_per_email": env("RATE_LIMIT_SIGN_IN_PER_EMAIL", default="5/5m"),
    "sign_up": env("RATE_LIMIT_SIGN_UP", default="10/m"),
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="10/m"),
    "password_reset_per_email": env("RATE_LIMIT_PASSWORD_RESET_PER_EMAIL", default="3/m"),
}
ACCOUNT_RATE_LIMITS = False

# --- Input guard (apps.core.middleware.InputGuardMiddleware) ------------------------------
# Longest query-string and form value the storefront takes (the admin has no limit).
SHOP_MAX_QUERY_VALUE = 500
SHOP_MAX_FORM_VALUE = 5000

# --- Content-Security-Policy (django-csp) -----------------------------------------------
# The storefront's policy; the payment page adds Stripe's origins (payments.views.stripe_csp).
# The Wagtail and Django admins keep their own (they need inline scripts and styles).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        # Our own files, and an inline script only with this response's nonce.
        "script-src": [SELF, NONCE],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Let Django itself serve MEDIA_URL (config/urls.py): local development and tests only.
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Wagtail ---------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env("SHOP_NAME_EN", default="Gulf Emperor")
WAGTAILADMIN_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"png": "webp", "jpeg": "webp"}
WAGTAILDOCS_EXTENSIONS = ["pdf"]

# --- Accounts (django-allauth) ---------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "apps.users.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Tell the customer when their password or e-mail address changes (bilingual, branded:
# templates/account/email/, apps/users/adapter.py).
ACCOUNT_EMAIL_NOTIFICATIONS = True

# --- E-mail (django-anymail) -----------------------------------------------------------
# The embedded default writes each message as one .eml file under var/mail/ so a newcomer can
# open it. Production picks an anymail backend, e.g.
# EMAIL_BACKEND=anymail.backends.postmark.EmailBackend with POSTMARK_SERVER_TOKEN (see
# docs/emails.md for Mailgun, SendGrid, Amazon SES, Brevo, ...).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="apps.emails.backends.EmlFileBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Gulf Emperor <orders@gulf-emperor.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Only the variables that are set reach anymail, so each ESP keeps its own defaults.
ANYMAIL = {
    key: value
    for key, value in {
        "MAILGUN_API_KEY": env("MAILGUN_API_KEY", default=""),
        "MAILGUN_SENDER_DOMAIN": env("MAILGUN_SENDER_DOMAIN", default=""),
        "MAILGUN_API_URL": env("MAILGUN_API_URL", default=""),  # EU: https://api.eu.mailgun.net/v3
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "POSTMARK_SERVER_TOKEN": env("POSTMARK_SERVER_TOKEN", default=""),
        "SENDGRID_API_KEY": env("SENDGRID_API_KEY", default=""),
        "BREVO_API_KEY": env("BREVO_API_KEY", default=""),
        "MAILJET_API_KEY": env("MAILJET_API_KEY", default=""),
        "MAILJET_SECRET_KEY": env("MAILJET_SECRET_KEY", default=""),
        "RESEND_API_KEY": env("RESEND_API_KEY", default=""),
        "SPARKPOST_API_KEY": env("SPARKPOST_API_KEY", default=""),
        # Amazon SES uses boto3's usual credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        # AWS_REGION or an instance role); only the optional configuration set is ours.
        "AMAZON_SES_CONFIGURATION_SET_NAME": env("AMAZON_SES_CONFIGURATION_SET_NAME", default=""),
        # "user:password" for HTTP basic auth on anymail's tracking webhooks (/anymail/...).
        "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default=""),
    }.items()
    if value
}
# A provider error is retried with exponential backoff (base, 2x, 4x, ... seconds, each wait
# capped at EMAIL_RETRY_MAX_DELAY_SECONDS) until the message has been tried EMAIL_MAX_ATTEMPTS
# times; then it is marked failed for staff (who can resend it). The defaults wait 1, 2, 4, 8,
# 16, 32, 64, 128 minutes, then 4 hours five times: the 14th and last attempt comes about a day
# after the first one.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=14)
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=60)
EMAIL_RETRY_MAX_DELAY_SECONDS = env.int("EMAIL_RETRY_MAX_DELAY_SECONDS", default=4 * 60 * 60)

# --- Background tasks (django-tasks) ---------------------------------------------------
# Embedded: django-tasks-db, tasks are rows of the shop's database (`manage.py db_worker`).
# With REDIS_URL: django-tasks-rq, tasks are RQ jobs in Redis, enqueued when the transaction
# commits (apps/core/task_backends.py), run by `manage.py rqworker default --with-scheduler`
# on any machine (the scheduler starts deferred retries, `run_after`). TASKS_BACKEND
# overrides either. TASK_QUEUES: the queues the tasks use (`@task(queue_name=...)`).
TASK_QUEUES = ["default"]
TASKS = {"default": {
    "BACKEND": env("TASKS_BACKEND", default="apps.core.task_backends.OnCommitRQBackend"
                   if REDIS_URL else "django_tasks_db.DatabaseBackend"),
    "QUEUES": TASK_QUEUES,
}}
if REDIS_URL:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db") + 1, "django_rq")
    # Through the "shared" cache's pooled connection (django-redis), not one per enqueue.
    RQ_QUEUES = {name: {"USE_REDIS_CACHE": "shared", "DEFAULT_TIMEOUT": 600}
                 for name in TASK_QUEUES}
    # The job class django-tasks-rq's jobs need, for `rqworker` without --job-class.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# --- Shop ------------------------------------------------------------------------------
SHOP_CURRENCY = env("SHOP_CURRENCY", default="SAR")
SHOP_VAT_RATE = Decimal(env("SHOP_VAT_RATE", default="0.15"))
# Minutes an unpaid order keeps its stock before `release_expired_orders` returns it.
ORDER_RESERVATION_MINUTES = env.int("ORDER_RESERVATION_MINUTES", default=60)
# One "complete your payment" e-mail this long before an unpaid order's reservation ends.
PAYMENT_REMINDER_MINUTES_BEFORE = env.int("PAYMENT_REMINDER_MINUTES_BEFORE", default=20)
ORDER_NUMBER_PREFIX = env("ORDER_NUMBER_PREFIX", default="GE")
# Absolute links in e-mails (payment retry, order page) start with this.
SHOP_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Legal identity shown in the footer and in e-mails (Saudi e-commerce law asks for it).
SHOP_IDENTITY = {
    "name_ar": env("SHOP_NAME_AR", default="الإمبراطور الخليجي"),
    "name_en": env("SHOP_NAME_EN", default="Gulf Emperor"),
    "commercial_registration": env("SHOP_CR_NUMBER", default="1010000000"),
    "vat_number": env("SHOP_VAT_NUMBER", default="300000000000003"),
    "address_ar": env("SHOP_ADDRESS_AR", default="طريق الملك فهد، حي العليا، الرياض 12211"),
    "address_en": env("SHOP_ADDRESS_EN", default="King Fahd Road, Al Olaya, Riyadh 12211"),
    "email": env("SHOP_EMAIL", default="care@gulf-emperor.example"),
    "phone": env("SHOP_PHONE", default="+966110000000"),
}
# Who gets staff alerts (a new Stripe dispute): comma-separated e-mail addresses. Set but
# empty, an alert is recorded as failed ("no staff address"), never as sent.
SHOP_STAFF_ALERT_EMAILS = env.list("SHOP_STAFF_ALERT_EMAILS", default=[SHOP_IDENTITY["email"]])
# The language staff alerts start with ("ar" or "en"); the other one follows.
SHOP_STAFF_ALERT_LANGUAGE = env("SHOP_STAFF_ALERT_LANGUAGE", default=LANGUAGE_CODE)

# --- Payments (Stripe) -----------------------------------------------------------------
# Without STRIPE_SECRET_KEY the shop talks to the offline Stripe sandbox (apps/stripe_sandbox,
# a development app installed only then) instead of api.stripe.com: no account and no network
# needed. With a key, the sandbox is neither installed nor imported.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
# The endpoint's signing secret (Dashboard -> Webhooks, or `stripe listen`). The sandbox signs
# its events with the same secret, so they pass the same verification.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_sandbox_not_a_secret")
STRIPE_SANDBOX = env.bool("STRIPE_SANDBOX", default=not STRIPE_SECRET_KEY)
# The SDK's HTTP client (an import path) and where the payment page loads Stripe.js from.
STRIPE_HTTP_CLIENT = "stripe.RequestsClient"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
if STRIPE_SANDBOX:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("apps.demo"), "apps.stripe_sandbox")
    STRIPE_HTTP_CLIENT = "apps.stripe_sandbox.http_client.SandboxHTTPClient"
    STRIPE_JS_URL = "stripe_sandbox/stripe.js"  # a static file: the same API as Stripe.js
    if not STRIPE_SECRET_KEY.startswith("sk_test_"):
        STRIPE_SECRET_KEY = "sk_test_sandbox"
    if not STRIPE_PUBLISHABLE_KEY.startswith("pk_test_"):
        STRIPE_PUBLISHABLE_KEY = "pk_test_sandbox"
# Pinned: every request and every webhook payload use this API version. Change it on purpose,
# together with the SDK pin in requirements.txt and the endpoint's version in the Dashboard.
STRIPE_API_VERSION = "2026-10-28.endive"
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Seconds to open a connection to Stripe / to wait for its answer.
STRIPE_CONNECT_TIMEOUT = env.float("STRIPE_CONNECT_TIMEOUT", default=5.0)
STRIPE_READ_TIMEOUT = env.float("STRIPE_READ_TIMEOUT", default=20.0)
# Seconds a webhook signature stays valid (Stripe's own default).
STRIPE_WEBHOOK_TOLERANCE = 300
# A stored event whose application hit a transient fault (the database, a lock timeout) is
# tried again by the worker after 30 s, 1 min, 2 min ... at most an hour apart.
STRIPE_EVENT_RETRY_BACKOFF_SECONDS = env.int("STRIPE_EVENT_RETRY_BACKOFF_SECONDS", default=30)
STRIPE_EVENT_RETRY_MAX_DELAY_SECONDS = env.int("STRIPE_EVENT_RETRY_MAX_DELAY_SECONDS",
                                               default=60 * 60)
# A staff refund above this amount (in the shop currency's major units) waits until another
# staff member with `payments.approve_refund` approves it before it is sent to Stripe.
REFUND_APPROVAL_THRESHOLD = Decimal(env("REFUND_APPROVAL_THRESHOLD", default="1000.00"))

# --- Operations (docs/deployment.md) ----------------------------------------------------
# The readiness probe (/health/ready/) reports "degraded" (still 200) when the oldest task
# ready to run, or the oldest e-mail due, has waited longer than this: a worker is missing.
HEALTH_TASK_QUEUE_MAX_AGE_SECONDS = env.int("HEALTH_TASK_QUEUE_MAX_AGE_SECONDS", default=300)
HEALTH_EMAIL_MAX_AGE_SECONDS = env.int("HEALTH_EMAIL_MAX_AGE_SECONDS", default=900)
# /metrics (Prometheus) answers a request carrying "Authorization: Bearer <METRICS_TOKEN>",
# or one from an address in METRICS_ALLOWED_IPS (addresses or networks, e.g. 10.0.0.0/8).
# Neither set: nobody.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Probes and scrapes inside the private network speak plain http: no redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# "text" for a person at a terminal (`make run`); "json", production's default: one object a
# line with the request id (apps/core/logging.py).
LOG_FORMAT = env("LOG_FORMAT", default="text")
# One line per request, per Stripe call and per task, tied by the request id (loggers
# "shop.*"). Off in text mode: runserver prints each request already and `make run` stays short.
LOG_EVENTS = env.bool("LOG_EVENTS", default=LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet": {"()": "apps.core.logging.QuietRoutineLogs"},
                "context": {"()": "apps.core.logging.RequestContext"}},
    "formatters": {"json": {"()": "apps.core.logging.json_formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context", "quiet"],
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "shop": {"level": "INFO" if LOG_EVENTS else "WARNING"},
        # The SDK's own lines name api.stripe.com even when the offline sandbox answers, and
        # carry whole URLs with their query strings: the gateway logs one line per call
        # instead (shop.stripe: always for a real account), the sandbox's client its own
        # (apps/stripe_sandbox/).
        "stripe": {"level": "WARNING"},
        **({"shop.stripe": {"level": "INFO"}} if not STRIPE_SANDBOX else {}),
        # runserver already prints every request with its status: a 4xx once, not twice.
        **({"django.request": {"level": "ERROR"}} if DEBUG else {}),
    },
}
