import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import Product
from apps.orders.address import City, SaudiAddressFields

GUEST_LINK_SALT = "orders.guest-link"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Shipped")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class Order(SaudiAddressFields):
    """A placed order: a snapshot of lines, address and totals that never follows later
    catalog changes."""

    number = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders", verbose_name=_("customer"),
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=2, default="ar")
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT, db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=3)
    shipping = models.DecimalField(_("shipping"), max_digits=12, decimal_places=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=3)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    vat_amount = models.DecimalField(_("VAT included"), max_digits=12, decimal_places=3)
    # Empty, or the status of the newest Stripe dispute on its payment (needs_response,
    # under_review, won, lost, ...). Kept beside `status`: a dispute does not stop shipping.
    dispute_status = models.CharField(_("dispute"), max_length=40, blank=True, db_index=True)
    reserved_until = models.DateTimeField(_("stock reserved until"))
    stock_released = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
        ]
        # The staff search looks orders up by exact mobile number and lower-cased e-mail.
        indexes = [
            models.Index(fields=["phone"], name="order_phone_idx"),
            models.Index(Lower("email"), name="order_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def guest_token(self) -> str:
        return signing.Signer(salt=GUEST_LINK_SALT).sign(str(self.public_id))

    def get_guest_url(self) -> str:
        return reverse("orders:guest_detail", kwargs={"token": self.guest_token})

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @property
    def vat_percent(self):
        return (self.vat_rate * 100).normalize()

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == OrderStatus.PENDING_PAYMENT


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=3)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=3)

    class Meta:
        ordering = ["pk"]

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "ar").startswith("en") else self.name_ar


class OrderStatusChange(models.Model):
    """Audit trail: every status change, who made it and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class OrderNumberCounter(models.Model):
    """A row per sequence; incremented with a single UPDATE that locks it until commit, so two
    checkouts can never take the same number."""

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)


class ShippingZone(models.Model):
    """Shipping price for a set of cities; the default zone covers every other city."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    cities = models.JSONField(_("cities"), default=list, blank=True)
    rate = models.DecimalField(_("shipping price"), max_digits=12, decimal_places=3)
    free_above = models.DecimalField(
        _("free shipping from"), max_digits=12, decimal_places=3, null=True, blank=True,
        help_text=_("Order subtotal from which shipping is free. Empty: never free."),
    )
    is_default = models.BooleanField(
        _("default zone"), default=False, help_text=_("Used for cities no other zone lists.")
    )

    class Meta:
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")
        ordering = ["-is_default", "name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_zone"
            ),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="shipping_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "ar").startswith("en") else self.name_ar

    def city_labels(self) -> list[str]:
        labels = dict(City.choices)
        return [str(labels.get(code, code)) for code in self.cities]
