import re

from django.apps import apps as django_apps
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from apps.catalog import views as catalog_views
from apps.payments import views as payment_views

# Not language-prefixed: admin, sitemap, and the Stripe webhook, which must never be
# redirected (with or without its trailing slash); anymail's e-mail tracking webhooks
# (/anymail/<esp>/tracking/, HTTP basic auth with ANYMAIL["WEBHOOK_SECRET"]).
urlpatterns = [
    path("payments/webhook/stripe/", payment_views.stripe_webhook, name="stripe_webhook"),
    re_path(r"^payments/webhook/stripe$", payment_views.stripe_webhook),
    path("anymail/", include("anymail.urls")),
    # Load balancer probes and Prometheus (docs/deployment.md).
    path("", include("apps.operations.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.SERVE_MEDIA:
    # Uploaded media (product images and their renditions) served by Django: local development
    # and the test live server only. Production serves MEDIA_ROOT from the web server or a CDN.
    # Unlike `static()`, this also works with DEBUG off (the test settings); MEDIA_ROOT is read
    # per request so tests can point it at a temporary folder.
    from django.views.static import serve

    def serve_media(request, path):
        return serve(request, path, document_root=settings.MEDIA_ROOT)

    media_prefix = re.escape(settings.MEDIA_URL.lstrip("/"))
    urlpatterns += [re_path(rf"^{media_prefix}(?P<path>.*)$", serve_media)]

if django_apps.is_installed("apps.stripe_sandbox"):
    # Development only: what Stripe.js calls, answered by the offline sandbox.
    urlpatterns += [path("stripe-sandbox/", include("apps.stripe_sandbox.urls"))]

urlpatterns += i18n_patterns(
    path("search/", catalog_views.search, name="search"),
    path("accounts/", include("apps.users.account_urls")),  # with abuse limits
    path("accounts/", include("allauth.urls")),
    path("", include("apps.cart.urls")),
    path("", include("apps.orders.urls")),
    path("", include("apps.invoices.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.users.urls")),
    # Wagtail's catch-all page serving comes last.
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

# The shop's own error pages, in the URL's language (apps/core/views.py).
handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler429 = "apps.core.views.rate_limited"  # allauth's rate limits
handler500 = "apps.core.views.server_error"
