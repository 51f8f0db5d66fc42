BASE_POLICY = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def build_policy(extra: dict[str, list[str]] | None = None) -> str:
    """The storefront policy, with `extra` sources added to its directives (a directive that
    is not in the base policy starts from 'self')."""
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    for name, sources in (extra or {}).items():
        current = directives.setdefault(name, ["'self'"])
        current.extend(source for source in sources if source not in current)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def csp_allow(**extra: list[str]):
    """View decorator: this view's pages also allow `extra` sources, e.g.
    `@csp_allow(script_src=["https://js.stripe.com"])`. The middleware keeps the header."""
    from functools import wraps

    directives = {name.replace("_", "-"): sources for name, sources in extra.items()}

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = build_policy(directives)
            return response

        return wrapped

    return decorator


class ContentSecurityPolicyMiddleware:
    """A strict CSP for the storefront; the Wagtail and Django admins keep their own. A view
    may widen it for its own pages with `csp_allow` (the header it sets is kept)."""

    policy = build_policy()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/admin/", "/django-admin/")):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
