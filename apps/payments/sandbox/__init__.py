"""Offline Stripe sandbox (see apps/payments/sandbox/apps.py)."""
