"""A real seller's details, as production requires them (every variable set, all valid)."""

PRODUCTION_SELLER_ENV = {
    "SHOP_NAME_AR": "مؤسسة الإمبراطور الخليجي للتجارة",
    "SHOP_NAME_EN": "Gulf Emperor Trading Est.",
    "SHOP_VAT_NUMBER": "310122393500003",
    "SHOP_CR_NUMBER": "1010123456",
    "SHOP_ADDRESS_AR": "طريق الملك فهد، حي العليا، الرياض 12211",
    "SHOP_ADDRESS_EN": "King Fahd Road, Al Olaya, Riyadh 12211",
}
