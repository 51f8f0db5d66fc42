from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import translation
from wagtail.images import get_image_model

from apps.cart.models import Cart, CartLine
from apps.catalog.models import LISTING_RENDITIONS, ProductPage
from apps.pricing.selectors import Totals, compute_totals


@dataclass
class CartItem:
    line: CartLine
    name: str
    page: ProductPage | None

    @property
    def product(self):
        return self.line.product

    @property
    def line_total(self) -> Decimal:
        return self.line.product.price * self.line.quantity


@dataclass
class CartView:
    cart: Cart | None
    items: list[CartItem]
    totals: Totals

    @property
    def count(self) -> int:
        return sum(item.line.quantity for item in self.items)

    @property
    def is_empty(self) -> bool:
        return not self.items


def cart_view(cart: Cart | None, *, city: str | None = None) -> CartView:
    """The cart as the shopper sees it: names in the current language, today's prices, totals."""
    if cart is None:
        return CartView(None, [], compute_totals(lines=[], city=city))
    images = get_image_model().objects.prefetch_renditions(*LISTING_RENDITIONS)
    lines = list(
        cart.lines.select_related("product").prefetch_related(Prefetch("product__image", queryset=images))
    )
    pages = {
        page.product_id: page
        for page in ProductPage.objects.live().filter(
            product_id__in=[line.product_id for line in lines],
            locale__language_code=translation.get_language()[:2],
        )
    }
    items = [
        CartItem(line=line, name=pages[line.product_id].title if line.product_id in pages else line.product.sku,
                 page=pages.get(line.product_id))
        for line in lines
    ]
    totals = compute_totals(lines=[(line.product.price, line.quantity) for line in lines], city=city)
    return CartView(cart, items, totals)
