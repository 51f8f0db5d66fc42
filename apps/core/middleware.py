class ContentSecurityPolicyMiddleware:
    """A strict CSP for the storefront; the Wagtail and Django admins keep their own."""

    policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/admin/", "/django-admin/")):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
