from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.cart.forms import AddToCartForm, UpdateLineForm
from apps.cart.selectors import cart_view
from apps.cart.services import (
    CartError,
    add_to_cart,
    find_cart,
    get_or_create_cart,
    remove_line,
    set_line_quantity,
)
from apps.catalog.models import ProductPage
from apps.core.pagecache import csrf_protect_with_session
from apps.core.ratelimits import limited


@csrf_protect_with_session  # posted from pages in the page cache, which hold no token
@require_POST
@limited("add_to_cart")
def add(request, page_id: int):
    """The product page's "Add to cart" (no JavaScript needed): add it, or show the product
    page again with the error beside the form."""
    page = get_object_or_404(ProductPage.objects.live().select_related("product"), pk=page_id)
    form = AddToCartForm(request.POST, product=page.product)
    if form.is_valid():
        try:
            add_to_cart(cart=get_or_create_cart(request), product=page.product,
                        quantity=form.cleaned_data["quantity"])
        except CartError as error:
            form.add_error("quantity", str(error))
        else:
            messages.success(request, _("%(name)s was added to your cart.") % {"name": page.title})
            return redirect("cart:detail")
    context = page.get_context(request)
    context["add_form"] = form
    return TemplateResponse(request, page.get_template(request), context, status=400)


@require_http_methods(["GET", "HEAD"])
def cart_detail(request):
    shown = cart_view(find_cart(request))
    totals = shown.totals
    # "Add X more for free shipping" (at the standard rate shown here).
    gap = (totals.free_shipping_from - totals.subtotal
           if totals.shipping and totals.free_shipping_from else None)
    return render(request, "cart/cart_detail.html",
                  {"cart": shown, "free_shipping_gap": gap if gap and gap > 0 else None})


@require_POST
def cart_update(request):
    cart = find_cart(request)
    form = UpdateLineForm(request.POST)
    if cart is None:
        return redirect("cart:detail")
    if form.is_valid():
        try:
            set_line_quantity(cart=cart, line_id=form.cleaned_data["line"],
                              quantity=form.cleaned_data["quantity"])
        except CartError as error:
            # A line no longer in the cart has no row to show the error beside.
            in_cart = cart.lines.filter(pk=form.cleaned_data["line"]).exists()
            form.add_error("quantity" if in_cart else None, str(error))
        else:
            messages.success(request, _("Your cart was updated."))
            return redirect("cart:detail")
    line_id = form.cleaned_data.get("line") if hasattr(form, "cleaned_data") else None
    context = {"cart": cart_view(cart), "failed_form": form, "failed_line": line_id}
    return render(request, "cart/cart_detail.html", context, status=400)


@require_POST
def cart_remove(request):
    cart = find_cart(request)
    line_id = request.POST.get("line", "")
    if cart is not None and line_id.isdigit():
        remove_line(cart=cart, line_id=int(line_id))
        messages.success(request, _("The item was removed from your cart."))
    return redirect("cart:detail")
