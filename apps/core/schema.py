"""OpenAPI generation: our session authenticator, and component names that do not collide.

Every API view nests its own `InputSerializer` / `OutputSerializer`; the component is named after the
enclosing view (`PasswordChangeApi.InputSerializer` → `PasswordChangeInput`) so two views never clash.
"""
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class CsrfEnforcedSessionScheme(SessionScheme):
    target_class = "apps.core.api.CsrfEnforcedSessionAuthentication"


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        parts = type(serializer).__qualname__.split(".")
        if len(parts) > 1 and "<locals>" not in parts:
            owner = parts[-2].removesuffix("Api").removesuffix("View")
            return owner + name
        return name
