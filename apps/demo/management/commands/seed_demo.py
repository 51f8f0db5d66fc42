"""Create the bilingual demo shop. Safe to run again: it only adds what is missing."""

import io
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from apps.catalog.models import CategoryPage, HomePage, InfoPage, Product, ProductPage
from apps.demo.drawings import product_picture
from apps.demo.info_pages import INFO_PAGES
from apps.pricing.models import ShippingZone

STAFF_EMAIL = "admin@gulf-emperor.example"
STAFF_PASSWORD = "GulfEmperor-2026"
CUSTOMER_EMAIL = "customer@gulf-emperor.example"
CUSTOMER_PASSWORD = "Customer-2026"
# Wagtail admin staff, one per group of apps/payments/migrations/0003_staff_groups.py
# (Wagtail needs no is_staff: the group gives wagtailadmin.access_admin).
STAFF_ACCOUNTS = [
    ("support@gulf-emperor.example", "Support-2026", "Support", ("سارة", "القحطاني")),
    ("refunds@gulf-emperor.example", "Refunds-2026", "Refunds", ("فهد", "العتيبي")),
    ("manager@gulf-emperor.example", "Manager-2026", "Managers", ("منى", "الشهري")),
]
ADMIN_NAME = ("عبدالله", "الدوسري")
CUSTOMER_NAME = ("نورة", "العتيبي")

HOME = {
    "ar": ("الإمبراطور الخليجي", "عطور وعود وتمور وقهوة مختارة من أجود ما في الخليج، توصيل لكل مدن المملكة."),
    "en": ("Gulf Emperor", "Perfume, oud, dates and coffee chosen from the best of the Gulf, delivered across the Kingdom."),
}

DESCRIPTION = {
    "ar": "<p>منتج مختار بعناية من موردين موثوقين في الخليج. يُشحن في تغليف فاخر يصلح للإهداء، "
          "ويصل خلال 2–5 أيام عمل داخل المملكة.</p>",
    "en": "<p>Carefully chosen from trusted Gulf suppliers. Shipped in gift-ready packaging, "
          "delivered within 2–5 business days across the Kingdom.</p>",
}

# slug, (ar title, ar intro), (en title, en intro), colour, products
CATALOG = [
    (
        "perfumes", ("العطور والعود", "دهن العود والبخور والعطور الشرقية"),
        ("Perfume & Oud", "Oud oil, incense and oriental perfumes"), (92, 52, 32),
        [
            ("GE-OUD-001", "399.00", 25, "دهن عود كمبودي", "Cambodian oud oil",
             "دهن عود فاخر بتركيز عالٍ، 3 مل.", "Rich, long-lasting oud oil, 3 ml."),
            ("GE-OUD-002", "149.00", 40, "بخور معطر ملكي", "Royal scented bakhoor",
             "بخور معطر لمجالس المناسبات، 50 غرام.", "Scented bakhoor for gatherings, 50 g."),
            ("GE-PRF-003", "289.50", 18, "عطر المسك الأبيض", "White musk perfume",
             "عطر مسك أبيض ناعم، 100 مل.", "Soft white musk eau de parfum, 100 ml."),
            ("GE-PRF-004", "520.00", 6, "عطر ورد الطائف", "Taif rose perfume",
             "خلاصة ورد الطائف، 50 مل.", "Taif rose extract, 50 ml."),
            ("GE-OUD-005", "75.00", 0, "مبخرة نحاسية", "Brass incense burner",
             "مبخرة نحاسية مصنوعة يدويًا.", "Hand-made brass incense burner."),
        ],
    ),
    (
        "dates", ("التمور والحلويات", "تمور فاخرة من القصيم والمدينة"),
        ("Dates & Sweets", "Premium dates from Qassim and Madinah"), (140, 96, 40),
        [
            ("GE-DAT-101", "85.00", 60, "تمر سكري فاخر", "Premium Sukkari dates",
             "تمر سكري من القصيم، 1 كغ.", "Sukkari dates from Qassim, 1 kg."),
            ("GE-DAT-102", "120.00", 45, "تمر عجوة المدينة", "Madinah Ajwa dates",
             "عجوة المدينة الأصلية، 1 كغ.", "Genuine Madinah Ajwa, 1 kg."),
            ("GE-DAT-103", "65.00", 80, "معمول بالتمر", "Date ma'amoul",
             "معمول محشو بالتمر، 24 قطعة.", "Date-filled ma'amoul, 24 pieces."),
            ("GE-DAT-104", "210.00", 12, "صندوق تمور محشوة", "Stuffed dates gift box",
             "تمور محشوة باللوز والفستق.", "Dates stuffed with almond and pistachio."),
            ("GE-DAT-105", "42.50", 100, "دبس التمر", "Date syrup",
             "دبس تمر طبيعي، 400 غرام.", "Natural date syrup, 400 g."),
        ],
    ),
    (
        "coffee", ("القهوة والشاي", "قهوة عربية وبن وشاي"),
        ("Coffee & Tea", "Arabic coffee, beans and tea"), (40, 72, 96),
        [
            ("GE-COF-201", "59.00", 70, "قهوة عربية بالهيل", "Arabic coffee with cardamom",
             "قهوة عربية شقراء بالهيل، 500 غرام.", "Light-roast Arabic coffee with cardamom, 500 g."),
            ("GE-COF-202", "95.00", 30, "بن خولاني", "Khawlani coffee beans",
             "بن خولاني من جازان، 500 غرام.", "Khawlani beans from Jazan, 500 g."),
            ("GE-COF-203", "180.00", 15, "دلة قهوة", "Coffee dallah",
             "دلة نحاسية تقليدية.", "Traditional brass dallah."),
            ("GE-TEA-204", "35.00", 90, "شاي أحمر فاخر", "Premium black tea",
             "شاي أحمر مختار، 250 غرام.", "Selected black tea, 250 g."),
            ("GE-COF-205", "1250.00", 3, "طقم فناجين فاخر", "Luxury cup set",
             "طقم فناجين مطلي بالذهب، 12 قطعة.", "Gold-plated finjan set, 12 pieces."),
        ],
    ),
]

SHIPPING_ZONES = [  # ..., (working days to deliver)
    ("الرياض", "Riyadh", ["riyadh"], "15.00", "200.00", False, (1, 2)),
    ("المنطقة الغربية", "Western region", ["jeddah", "makkah", "madinah", "taif", "yanbu"],
     "20.00", "300.00", False, (2, 4)),
    ("باقي مدن المملكة", "Rest of the Kingdom", [], "25.00", "400.00", True, (3, 5)),
]


def make_image(sku: str, colour: tuple[int, int, int]):
    """The product's picture: a drawing of what it is (apps/demo/drawings.py), no text."""
    image = get_image_model()(title=sku)
    image.file = ImageFile(io.BytesIO(product_picture(sku, colour)), name=f"{sku.lower()}.png")
    image.save()
    return image



class Command(BaseCommand):
    help = "Create the bilingual demo catalog, shipping zones and demo accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        ar = Locale.objects.get_or_create(language_code="ar")[0]
        en = Locale.objects.get_or_create(language_code="en")[0]
        home_ar = self.home_page(ar)
        home_en = self.translate(home_ar, en, title=HOME["en"][0], intro=HOME["en"][1])
        for slug, ar_text, en_text, colour, products in CATALOG:
            category_ar = self.child(home_ar, CategoryPage, slug, title=ar_text[0], intro=ar_text[1])
            category_en = self.translate(category_ar, en, title=en_text[0], intro=en_text[1])
            for sku, price, stock, name_ar, name_en, summary_ar, summary_en in products:
                product = Product.objects.filter(sku=sku).first()
                if product is None:
                    product = Product.objects.create(
                        sku=sku, price=Decimal(price), stock=stock, image=make_image(sku, colour)
                    )
                page_ar = self.child(
                    category_ar, ProductPage, sku.lower(), title=name_ar, product=product,
                    summary=summary_ar, description=DESCRIPTION["ar"],
                )
                self.translate(page_ar, en, title=name_en, summary=summary_en,
                               description=DESCRIPTION["en"])
            del category_en
        del home_en
        for slug, ar_text, en_text in INFO_PAGES:
            page_ar = self.child(home_ar, InfoPage, slug, title=ar_text[0], intro=ar_text[1],
                                 body=ar_text[2])
            self.translate(page_ar, en, title=en_text[0], intro=en_text[1], body=en_text[2])
        for name_ar, name_en, cities, rate, free_above, is_default, days in SHIPPING_ZONES:
            ShippingZone.objects.get_or_create(
                name_en=name_en,
                defaults={"name_ar": name_ar, "cities": cities, "rate": Decimal(rate),
                          "free_above": Decimal(free_above), "is_default": is_default,
                          "delivery_days_min": days[0], "delivery_days_max": days[1]},
            )
        self.accounts()
        self.staff_accounts()
        self.stdout.write(self.style.SUCCESS(
            f"Demo shop ready. Staff: {STAFF_EMAIL} / {STAFF_PASSWORD}  "
            f"Customer: {CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}"
        ))
        for email, password, group, _name in STAFF_ACCOUNTS:
            self.stdout.write(f"  {group}: {email} / {password}")

    def home_page(self, ar: Locale) -> HomePage:
        home = HomePage.objects.filter(locale=ar).first()
        root = Page.get_first_root_node()
        if home is None:
            # Replace Wagtail's placeholder "Welcome" page with the shop's home page.
            Page.objects.filter(depth=2).exclude(
                pk__in=HomePage.objects.values("pk")
            ).filter(slug="home").delete()
            home = root.add_child(instance=HomePage(
                title=HOME["ar"][0], intro=HOME["ar"][1], slug="home", locale=ar
            ))
            home.save_revision().publish()
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page": home,
                      "site_name": HOME["en"][0]},
        )
        return home

    def child(self, parent: Page, model, slug: str, **fields):
        existing = model.objects.child_of(parent).filter(slug=slug).first()
        if existing is not None:
            return existing
        page = parent.add_child(instance=model(slug=slug, locale=parent.locale, **fields))
        page.save_revision().publish()
        return page

    def translate(self, page: Page, locale: Locale, **fields):
        existing = page.get_translation_or_none(locale)
        if existing is not None:
            return existing.specific
        translated = page.copy_for_translation(locale).specific
        for name, value in fields.items():
            setattr(translated, name, value)
        translated.save_revision().publish()
        return translated

    def staff_accounts(self) -> None:
        """Support (view), Refunds (issue_refund), Managers (approve_refund) demo users."""
        from django.contrib.auth.models import Group

        User = get_user_model()
        for email, password, group_name, (first_name, last_name) in STAFF_ACCOUNTS:
            group = Group.objects.filter(name=group_name).first()
            if group is None:  # the payments migrations create the groups
                self.stderr.write(f"Group {group_name} missing: run migrate first")
                continue
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=password,
                                                first_name=first_name, last_name=last_name)
                EmailAddress.objects.create(user=user, email=email, verified=True,
                                            primary=True)
            elif not user.last_name:  # seeded before the demo staff had whole names
                User.objects.filter(pk=user.pk).update(first_name=first_name,
                                                       last_name=last_name)
            user.groups.add(group)

    def accounts(self) -> None:
        User = get_user_model()
        for email, password, is_staff in (
            (STAFF_EMAIL, STAFF_PASSWORD, True),
            (CUSTOMER_EMAIL, CUSTOMER_PASSWORD, False),
        ):
            first_name, last_name = ADMIN_NAME if is_staff else CUSTOMER_NAME
            if User.objects.filter(email=email).exists():
                User.objects.filter(email=email, last_name="").update(
                    first_name=first_name, last_name=last_name)
                continue
            if is_staff:
                user = User.objects.create_superuser(email=email, password=password,
                                                     first_name=first_name,
                                                     last_name=last_name)
            else:
                user = User.objects.create_user(email=email, password=password,
                                                first_name=first_name, last_name=last_name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
