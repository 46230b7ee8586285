"""OpenAPI generation: our session authenticator, and component names that do not collide.

Every API view nests its own `InputSerializer` / `OutputSerializer`; the component is named after the
enclosing view (`PasswordChangeApi.InputSerializer` → `PasswordChangeInput`) so two views never clash.
Operation ids keep the path parameters (`/api/trades/{trade_id}` GET → `trades_by_trade_id_retrieve`), so a
collection and its items never share an id.
"""
import re

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class CsrfEnforcedSessionScheme(SessionScheme):
    target_class = "apps.core.api.CsrfEnforcedSessionAuthentication"


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
