"""Offline Stripe sandbox (see apps/stripe_sandbox/apps.py)."""
