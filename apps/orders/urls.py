from django.urls import path

from apps.orders import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("account/orders/", views.my_orders, name="my_orders"),
    path("account/orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/track/<str:token>/", views.guest_order_detail, name="guest_detail"),
]
