"""OpenAPI generation: our session authenticator, component names that do not collide, and the truth about
what every operation answers.

Every API view nests its own `InputSerializer` / `OutputSerializer`; the component is named after the
enclosing view (`PasswordChangeApi.InputSerializer` → `PasswordChangeInput`) so two views never clash.
Operation ids keep the path parameters (`/api/trades/{trade_id}` GET → `trades_by_trade_id_retrieve`), so a
collection and its items never share an id.

List endpoints answer `{results, nextCursor}`, so a response declared as `Serializer(many=True)` is
documented as that page. Every operation also documents the error envelope for the statuses it can answer
besides its own: 400 (bad input), 401 (when it needs a login, and on writes), 403 (permissions, CSRF),
404, 500; writes also 409, 413, 415, 422, 429 and 503 (rate limits, conflicts, bodies).
"""
import re

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DESCRIPTIONS = {
    "400": "Bad input: `invalid` (with `fields`), `parse_error`, `invalid_cursor`, `bad_request`, …",
    "401": "`not_authenticated`: log in first.",
    "403": "`csrf_failed` or `forbidden`.",
    "404": "`not_found` (or a more specific code).",
    "409": "`conflict`: the current state does not allow it.",
    "413": "`payload_too_large`.",
    "415": "`unsupported_media_type`.",
    "422": "`unprocessable`.",
    "429": "`rate_limited`, with `Retry-After` in seconds.",
    "500": "`server_error`.",
    "502": "`upstream_error`: an exchange did not answer as expected.",
    "503": "`unavailable`: a service we depend on is down; retry later.",
}
_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class CsrfEnforcedSessionScheme(SessionScheme):
    target_class = "apps.core.api.CsrfEnforcedSessionAuthentication"


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField(), required=False)


class ErrorEnvelopeSerializer(serializers.Serializer):
    """`{"error": {code, message, fields?}}`: every error the API answers."""

    error = ErrorSerializer()


_pages: dict[str, type] = {}


def _page_serializer(name: str, child: serializers.Serializer):
    if name not in _pages:
        _pages[name] = inline_serializer(name, {"results": type(child)(many=True),
                                                "nextCursor": serializers.CharField(allow_null=True)}).__class__
    return _pages[name]()


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self):
        operation_id = super().get_operation_id()
        parameters = re.findall(r"{(\w+)}", self.path)
        if not parameters:
            return operation_id
        action = next((a for a in ("partial_update", "retrieve", "update", "destroy", "create", "list")
                       if operation_id.endswith(f"_{a}")), None)
        if action is None:
            return operation_id
        prefix = operation_id.removesuffix(f"_{action}")
        return "_".join([prefix, *(f"by_{name}" for name in parameters), action])

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        parts = type(serializer).__qualname__.split(".")
        if len(parts) > 1 and "<locals>" not in parts:
            owner = parts[-2].removesuffix("Api").removesuffix("View")
            return owner + name
        return name

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if isinstance(serializer, serializers.ListSerializer) and status_code.startswith("2"):
            child = serializer.child
            serializer = _page_serializer(f"{self.get_serializer_name(child, 'response').removesuffix('Serializer')}Page", child)
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                body = self._get_response_for_code(ErrorEnvelopeSerializer(), code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = body
        return responses

    def _error_codes(self) -> list[str]:
        codes = ["400", "403", "404", "500"]
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if not public:
            codes.append("401")
        if self.method in _UNSAFE:
            codes += ["401", "409", "413", "415", "422", "429", "503"]
        return sorted(set(codes))
