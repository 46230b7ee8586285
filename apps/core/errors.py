"""Domain errors with a stable code; the API renders them as {"error": {code, message, fields?}}."""
from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None,
                 status: int | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields
        super().__init__(self.message)

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400
    default_message = "Some fields are not valid."


class Unauthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = "Log in first."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message = "You are not allowed to do that."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "That conflicts with the current state."


class Unprocessable(DomainError):
    code = "unprocessable"
    status = 422
    default_message = "The request is well-formed but cannot be processed."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServiceUnavailable(DomainError):
    code = "unavailable"
    status = 503
    default_message = "A service we depend on is unavailable. Try again shortly."


class ExternalServiceError(DomainError):
    code = "upstream_error"
    status = 502
    default_message = "An external service did not answer as expected."
