from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from apps.cart.services import SESSION_KEY, merge_anonymous_cart


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user) -> None:
        # Read the anonymous cart before login rotates the session, then merge it explicitly.
        session_cart_id = request.session.get(SESSION_KEY)
        super().login(request, user)
        merge_anonymous_cart(session_cart_id=session_cart_id, user=user)
        request.session.pop(SESSION_KEY, None)

    def save_user(self, request, user, form, commit=True):
        user.preferred_language = (translation.get_language() or "ar")[:2]
        return super().save_user(request, user, form, commit=commit)
