from django.urls import path

from apps.users import views

app_name = "users"

urlpatterns = [
    path("account/addresses/", views.address_list, name="addresses"),
    path("account/addresses/new/", views.address_form, name="address_new"),
    path("account/addresses/<int:pk>/", views.address_form, name="address_edit"),
    path("account/addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
]
