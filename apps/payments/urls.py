from django.urls import path

from apps.payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<str:number>/pay/", views.pay, name="pay"),
    path("orders/<str:number>/pay/return/", views.pay_return, name="pay_return"),
    path("orders/<str:number>/cancel/", views.cancel_unpaid, name="cancel_unpaid"),
]
