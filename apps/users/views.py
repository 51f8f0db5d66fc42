from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.users.forms import AddressBookForm
from apps.users.services import save_address, update_address


@login_required
def address_list(request):
    return render(request, "users/address_list.html", {"addresses": request.user.addresses.all()})


@login_required
def address_form(request, pk: int | None = None):
    address = get_object_or_404(request.user.addresses, pk=pk) if pk else None
    initial = {"label": address.label, "make_default": address.is_default} if address else {}
    form = AddressBookForm(request.POST or None, instance=None, initial={**(address.address_data() if address else {}), **initial})
    if request.method == "POST" and form.is_valid():
        data = form.address_data()
        if address is None:
            save_address(user=request.user, address=data, label=form.cleaned_data["label"],
                         make_default=form.cleaned_data["make_default"])
        else:
            update_address(address=address, data=data, label=form.cleaned_data["label"],
                           make_default=form.cleaned_data["make_default"])
        messages.success(request, _("Your address was saved."))
        return redirect("users:addresses")
    status = 400 if request.method == "POST" else 200
    return render(request, "users/address_form.html", {"form": form, "address": address}, status=status)


@login_required
@require_POST
def address_delete(request, pk: int):
    get_object_or_404(request.user.addresses, pk=pk).delete()
    messages.success(request, _("The address was deleted."))
    return redirect("users:addresses")
