"""Session engine: Django's DB sessions on our Session model, with user and hashed ip/ua, a coarse device,
a masked address and when the session was last seen (refreshed at most every LAST_SEEN_EVERY)."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import DatabaseError, IntegrityError, router, transaction
from django.utils import timezone

from .devices import device_summary, ip_mask

LAST_SEEN_EVERY = timedelta(minutes=5)


def fingerprint_hash(value: str) -> str:
    """sha256(value + pepper): lets us compare clients without keeping their IP or user agent."""
    return hashlib.sha256((value + settings.SESSION_HASH_PEPPER).encode()).hexdigest()


class SessionStore(DBStore):
    ip_hash = ""
    ua_hash = ""
    client = None  # (user agent, remote address) of the request, read only to derive `device` and `ip_masked`
    last_seen = None  # the stored row's value when it was loaded

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self.last_seen = (stored.last_seen or stored.created_at) if stored is not None else None
        return stored

    @classmethod
    def get_model_class(cls):
        from .models import Session

        return Session

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = data.get("_auth_user_id") or None
        instance.ip_hash = self.ip_hash
        instance.ua_hash = self.ua_hash
        if self.client is not None:
            user_agent, address = self.client
            instance.device = device_summary(user_agent)
            instance.ip_masked = ip_mask(address)
        instance.last_seen = timezone.now()
        return instance

    def save(self, must_create: bool = False) -> None:
        """As Django's, but an update keeps the row's own id and created_at."""
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        update_fields = ["session_data", "expire_date", "user", "last_seen"]
        if self.ip_hash:
            update_fields += ["ip_hash", "ua_hash"]
        if self.client is not None:
            update_fields += ["device", "ip_masked"]
        try:
            with transaction.atomic(using=using):
                if must_create:
                    obj.save(force_insert=True, using=using)
                else:
                    obj.save(force_update=True, using=using, update_fields=update_fields)
        except IntegrityError as exc:
            if must_create:
                raise CreateError from exc
            raise
        except DatabaseError as exc:
            if not must_create:
                raise UpdateError from exc
            raise


class TwinSessionMiddleware(SessionMiddleware):
    """Attaches the hashed client fingerprint to the store so the row records it on save."""

    def process_request(self, request):
        super().process_request(request)
        request.session.ip_hash = fingerprint_hash(request.META.get("REMOTE_ADDR", ""))
        request.session.ua_hash = fingerprint_hash(request.META.get("HTTP_USER_AGENT", ""))
        request.session.client = (request.META.get("HTTP_USER_AGENT", ""), request.META.get("REMOTE_ADDR", ""))

    def process_response(self, request, response):
        """As Django's; a signed-in session not written by this request and not seen for LAST_SEEN_EVERY gets
        its `last_seen` refreshed (one UPDATE at most every few minutes per session)."""
        response = super().process_response(request, response)
        session = getattr(request, "session", None)
        if (session is not None and session.last_seen is not None and not session.modified
                and session.session_key and timezone.now() - session.last_seen >= LAST_SEEN_EVERY):
            session.model.objects.filter(session_key=session.session_key).update(last_seen=timezone.now())
        return response
