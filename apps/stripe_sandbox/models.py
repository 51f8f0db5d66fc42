from django.db import models
from django.utils import timezone


class SandboxObject(models.Model):
    """One object of the offline Stripe sandbox (a PaymentIntent, charge, refund, event, a
    stored idempotent response, ...), kept in the database so every process sees the same
    state: the web server creates an intent, the task worker delivers its events."""

    id = models.CharField(max_length=255, primary_key=True)
    kind = models.CharField(max_length=40, db_index=True)
    # The object exactly as the Stripe API returns it.
    data = models.JSONField(default=dict)
    # Sandbox bookkeeping that Stripe would not show (delivery attempts of an event, ...).
    meta = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return self.id


class SandboxRequest(models.Model):
    """Every API request the sandbox received, as Stripe's Dashboard request log shows it:
    tests assert on what reached "Stripe" (one refund call for a double-submitted form,
    none for a refused refund)."""

    SOURCES = [("api", "API (secret key)"), ("browser", "Stripe.js (publishable key)")]

    # Who called: the shop's server through the SDK, or the shopper's browser through
    # Stripe.js (pay.js), as Stripe's request log tells them apart by key.
    source = models.CharField(max_length=10, choices=SOURCES, default="api")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    params = models.JSONField(default=dict)
    # 0: the connection failed (an injected connection_error).
    status = models.PositiveSmallIntegerField(default=0)
    # Answered from a stored idempotent response (`Idempotent-Replayed: true`).
    replayed = models.BooleanField(default=False)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
