from django.urls import path

from apps.invoices import views

app_name = "invoices"

urlpatterns = [
    path("account/orders/<str:order_number>/documents/<str:number>/",
         views.customer_document, name="customer_document"),
    path("orders/track/<str:token>/documents/<str:number>/", views.guest_document,
         name="guest_document"),
]
