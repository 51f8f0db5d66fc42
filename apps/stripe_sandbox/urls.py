"""The sandbox's stand-in for Stripe's browser API (what Stripe.js calls); mounted at
/stripe-sandbox/ only when the sandbox is installed."""

from django.urls import path

from apps.stripe_sandbox import views

app_name = "stripe_sandbox"

urlpatterns = [
    path("elements/payment", views.payment_element, name="payment_element"),
    path("v1/payment_intents/<str:intent_id>/confirm", views.confirm_payment_intent,
         name="confirm_payment_intent"),
]
