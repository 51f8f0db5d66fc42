"""allauth's sign-in, sign-up and password-reset pages with the shop's abuse limits
(`apps.core.ratelimits`: counted in the shared cache across processes), mounted before
allauth's own URLs. Every other account page is allauth's as it is."""

from allauth.account import views as account
from django.urls import path

from apps.core.ratelimits import limited

sign_in = limited("sign_in")(limited("sign_in_per_email", key="post:login")(
    account.LoginView.as_view()))
sign_up = limited("sign_up")(account.SignupView.as_view())
password_reset = limited("password_reset")(limited(
    "password_reset_per_email", key="post:email")(account.PasswordResetView.as_view()))

urlpatterns = [
    path("login/", sign_in, name="account_login"),
    path("signup/", sign_up, name="account_signup"),
    path("password/reset/", password_reset, name="account_reset_password"),
]
