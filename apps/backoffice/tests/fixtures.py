"""Staff members of the three admin groups (created by the payments data migration), and
orders stored directly (for list, search and query-count tests that need many rows fast)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from wagtail.users.models import UserProfile

from apps.orders.models import Order
from apps.users.tests.factories import UserFactory


def make_staff(group: str, *, language: str = "en", email: str | None = None):
    """A staff member in `group` (Support, Refunds, Managers) using the admin in `language`."""
    user = UserFactory(email=email or f"{group.lower()}-{uuid.uuid4().hex[:6]}@shop.example",
                       first_name=group)
    user.groups.add(Group.objects.get(name=group))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


@pytest.fixture
def support_user(db):
    return make_staff("Support")


@pytest.fixture
def refunds_user(db):
    return make_staff("Refunds")


@pytest.fixture
def manager(db):
    return make_staff("Managers")


@pytest.fixture
def other_manager(db):
    return make_staff("Managers")


def order_row(number: int, **fields) -> Order:
    """An unsaved order as checkout stores it (for bulk_create)."""
    values = {
        "number": f"GE-2026-{number:06d}",
        "email": f"buyer{number}@example.com",
        "phone": f"+9665{number:08d}",
        "full_name": "نورة العتيبي",
        "city": "riyadh",
        "district": "العليا",
        "street": "طريق الملك فهد",
        "building_number": "1234",
        "postal_code": "12211",
        "currency": "SAR",
        "subtotal": Decimal("100.00"),
        "shipping": Decimal("25.00"),
        "total": Decimal("125.00"),
        "vat_rate": Decimal("0.15"),
        "vat_amount": Decimal("16.30"),
        "reserved_until": timezone.now() + timedelta(minutes=30),
    }
    values.update(fields)
    return Order(**values)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
