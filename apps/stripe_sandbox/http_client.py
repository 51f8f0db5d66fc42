"""The one place the sandbox meets the Stripe SDK: a `stripe.HTTPClient` that answers in
process instead of calling api.stripe.com. Everything above it (StripeClient, request
encoding, retries, error classes) is the real SDK code production runs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import stripe
from requests.structures import CaseInsensitiveDict

from apps.stripe_sandbox import contract, server

logger = logging.getLogger(__name__)


class SandboxHTTPClient(stripe.HTTPClient):
    name = "stripe-sandbox"

    def __init__(self, timeout: Any = None, **kwargs: Any):
        # `timeout` as the real client takes it; nothing here waits on a network.
        super().__init__(**kwargs)
        self.requests_made: list[tuple[str, str]] = []

    def request(self, method, url, headers, post_data=None):
        self.requests_made.append((method.upper(), url))
        # What Stripe would not refuse but the shop must always send (contract.py).
        contract.recorded.add(method.upper(), urlsplit(url).path,
                              contract.header_problems(method, dict(headers or {})))
        try:
            status, body, response_headers = server.handle(method, url, dict(headers or {}),
                                                           post_data)
        except server.SandboxConnectionError as exc:
            logger.info("Stripe sandbox (offline): %s %s -> connection error", method.upper(),
                        urlsplit(url).path)
            raise stripe.APIConnectionError(
                f"Unexpected error communicating with Stripe. (Network error: {exc})",
                should_retry=True,
            ) from exc
        # One line per call, named for what it is: no request leaves this machine.
        logger.info("Stripe sandbox (offline): %s %s -> %s", method.upper(), urlsplit(url).path,
                    status)
        return json.dumps(body), status, CaseInsensitiveDict(response_headers)

    def request_stream(self, method, url, headers, post_data=None):
        content, status, response_headers = self.request(method, url, headers, post_data)
        return io.BytesIO(content.encode("utf-8")), status, response_headers

    def close(self):
        pass

    def _sleep_time_seconds(self, num_retries: int) -> float:
        # Offline: a retry needs no back-off (the SDK would sleep 0.5-5 s).
        return 0.0
