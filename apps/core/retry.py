"""How long to wait before trying failed work again (e-mails, Stripe events): the one
backoff rule."""

from datetime import timedelta


def backoff(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """base, 2x, 4x, 8x ... after the 1st, 2nd, 3rd, 4th failed attempt, never more than
    `max_seconds`."""
    delay = base_seconds * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(delay, max_seconds))
