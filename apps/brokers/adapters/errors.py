"""Broker errors: readable messages, never a token or a secret in them."""
from __future__ import annotations

from apps.core.errors import ExternalServiceError


class BrokerError(ExternalServiceError):
    code = "broker_error"
    default_message = "The exchange did not answer as expected."


class BrokerUnavailable(BrokerError):
    """The circuit breaker for this exchange is open: calls fail fast until it cools down."""

    code = "broker_unavailable"
    status = 503
    default_message = "The exchange is failing repeatedly; we paused calls to it for a moment. Try again shortly."


class BrokerAuthError(BrokerError):
    """The exchange refused our credentials (expired, revoked, wrong key or signature)."""

    code = "broker_auth_failed"
    default_message = "The exchange refused the stored credentials. Reconnect the account."


class BrokerRequestError(BrokerError):
    """The exchange rejected the request itself (unknown product, bad parameter): retrying will not help."""

    code = "broker_request_rejected"
    default_message = "The exchange rejected the request."
