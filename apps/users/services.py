from django.db import transaction

from apps.users.models import Address


@transaction.atomic
def save_address(*, user, address: dict[str, str], label: str = "", make_default: bool = False) -> Address:
    """Add an address to the customer's book; the first one becomes the default."""
    make_default = make_default or not user.addresses.exists()
    if make_default:
        user.addresses.update(is_default=False)
    return Address.objects.create(user=user, label=label, is_default=make_default, **address)


def save_address_from_checkout(*, user, address: dict[str, str]) -> Address:
    existing = user.addresses.filter(**address).first()
    return existing or save_address(user=user, address=address)


@transaction.atomic
def update_address(*, address: Address, data: dict[str, str], label: str, make_default: bool) -> Address:
    if make_default:
        address.user.addresses.exclude(pk=address.pk).update(is_default=False)
    for name, value in data.items():
        setattr(address, name, value)
    address.label = label
    address.is_default = make_default or address.is_default
    address.save()
    return address
