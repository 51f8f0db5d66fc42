from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from apps.catalog.models import Product


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products (price & stock)")
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["sku", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku"]


register_snippet(ProductViewSet)
