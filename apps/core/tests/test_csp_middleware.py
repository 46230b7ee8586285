"""`ContentSecurityPolicyMiddleware` writes exactly the headers django-csp's own middleware writes, with the
policy of the settings alone built once (and again after the settings change)."""
from __future__ import annotations

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from apps.core import middleware as core_middleware
from apps.core.middleware import ContentSecurityPolicyMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def plain(request):
    return HttpResponse("ok")


def uses_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def with_header(request):
    response = HttpResponse("ok")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


VIEWS = {
    "plain": plain,
    "nonce": uses_nonce,
    "preset_header": with_header,
    "update": csp_update({"img-src": ["https://img.example"]})(plain),
    "replace": csp_replace({"script-src": ["https://js.example"]})(plain),
    "override": csp({"default-src": [SELF]})(plain),
    "exempt": csp_exempt()(plain),
    "update_report_only": csp_update({"img-src": ["https://ro.example"]}, REPORT_ONLY=True)(plain),
}
REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE], "report-uri": "/csp-report"},
               "EXCLUDE_URL_PREFIXES": ["/excluded"]}


def _headers(middleware_class, view, path: str, nonce: str | None = None) -> tuple:
    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    middleware.process_request(request)
    if nonce:
        request._csp_nonce = nonce  # the nonce the request would have drawn (random otherwise)
    response = middleware.process_response(request, view(request))
    return tuple(response.get(name) for name in HEADERS), getattr(request, "_csp_nonce", None)


@pytest.mark.parametrize("report_only", [None, REPORT_ONLY])
@pytest.mark.parametrize("path", ["/api/trades", "/excluded/page"])
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_same_headers_as_django_csp(name, path, report_only):
    view = VIEWS[name]
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        for _ in range(2):  # the second time from the kept policy
            ours = _headers(ContentSecurityPolicyMiddleware, view, path, nonce="n0nce" if name == "nonce" else None)
            theirs = _headers(CSPMiddleware, view, path, nonce="n0nce" if name == "nonce" else None)
            assert ours == theirs
    if name == "plain":
        assert ours[0][0] and "'self'" in ours[0][0]
    if name == "nonce" and report_only and path == "/api/trades":
        assert "'nonce-n0nce'" in ours[0][1]  # a policy asking for the nonce gets the request's


def test_a_changed_policy_is_built_anew():
    first = _headers(ContentSecurityPolicyMiddleware, plain, "/")[0][0]
    assert core_middleware._policies[False] == first
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert _headers(ContentSecurityPolicyMiddleware, plain, "/")[0][0] == "default-src 'none'"
    assert _headers(ContentSecurityPolicyMiddleware, plain, "/")[0][0] == first


def test_asking_for_a_nonce_after_the_header_is_written_is_an_error():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(plain)
    middleware.process_request(request)
    middleware.process_response(request, plain(request))
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
