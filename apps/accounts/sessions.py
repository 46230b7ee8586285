"""Session engine: Django's DB sessions on our Session model, with user and hashed ip/ua."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import SessionMiddleware


def fingerprint_hash(value: str) -> str:
    return hashlib.sha256((value + settings.SESSION_HASH_PEPPER).encode()).hexdigest()


class SessionStore(DBStore):
    ip_hash = ""
    ua_hash = ""

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = data.get("_auth_user_id") or None
        instance.ip_hash = self.ip_hash
        instance.ua_hash = self.ua_hash
        return instance


class TwinSessionMiddleware(SessionMiddleware):
    """Attaches the hashed client fingerprint to the store so the row records it on save."""

    def process_request(self, request):
        super().process_request(request)
        request.session.ip_hash = fingerprint_hash(request.META.get("REMOTE_ADDR", ""))
        request.session.ua_hash = fingerprint_hash(request.META.get("HTTP_USER_AGENT", ""))
