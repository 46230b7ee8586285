"""Session engine: Django's DB sessions on our Session model, with user and hashed ip/ua, a coarse device,
a masked address and when the session was last seen (refreshed at most every LAST_SEEN_EVERY).

Reads go through the shared cache: a session row loaded from the database is kept there (for at most
CACHE_SECONDS) and every later request of that session reads it in one cache round trip instead of a query.
A deleted session (sign out, "sign out other sessions", a deleted user — any delete, through the model's
`post_delete`) leaves a tombstone, read in the same round trip, now and again after the delete commits, so
a request that loaded the row just before the delete cannot put it back into the cache. A write removes
the cached copy. With no cache reachable, sessions are read from the database."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import DatabaseError, IntegrityError, router, transaction
from django.db.models.signals import post_delete
from django.utils import timezone

from apps.core.readcache import shared_cache

from .devices import device_summary, ip_mask

LAST_SEEN_EVERY = timedelta(minutes=5)
CACHE_SECONDS = 15 * 60


def _cache_keys(session_key: str) -> tuple[str, str]:
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]  # the key itself never leaves the database
    return f"accounts:session:{digest}", f"accounts:session-gone:{digest}"


def session_cache_forget(session_key: str, *, gone: bool = False) -> None:
    """Drop the cached copy of a session; `gone`: it was deleted (a tombstone, now and after commit)."""
    cached, tombstone = _cache_keys(session_key)

    def forget():
        try:
            if gone:
                shared_cache().set(tombstone, 1, settings.SESSION_COOKIE_AGE)
            shared_cache().delete(cached)
        except Exception:  # noqa: BLE001 - nothing cached can be trusted then; the tombstone is re-tried below
            pass

    forget()
    if gone:
        transaction.on_commit(forget, robust=True)


class _Row:
    """What the session engine reads of a row (from the cache)."""

    __slots__ = ("session_data", "expire_date", "last_seen", "created_at")

    def __init__(self, session_data, expire_date, last_seen, created_at):
        self.session_data, self.expire_date = session_data, expire_date
        self.last_seen, self.created_at = last_seen, created_at


def fingerprint_hash(value: str) -> str:
    """sha256(value + pepper): lets us compare clients without keeping their IP or user agent."""
    return hashlib.sha256((value + settings.SESSION_HASH_PEPPER).encode()).hexdigest()


class SessionStore(DBStore):
    ip_hash = ""
    ua_hash = ""
    client = None  # (user agent, remote address) of the request, read only to derive `device` and `ip_masked`
    last_seen = None  # the stored row's value when it was loaded

    def _get_session_from_db(self):
        stored = self._get_session_from_cache()
        if stored is None:
            stored = super()._get_session_from_db()
            if stored is not None:
                self._cache_row(stored)
        self.last_seen = (stored.last_seen or stored.created_at) if stored is not None else None
        return stored

    def _get_session_from_cache(self):
        if not self.session_key:
            return None
        cached_key, tombstone = _cache_keys(self.session_key)
        try:
            found = shared_cache().get_many([cached_key, tombstone])
        except Exception:  # noqa: BLE001
            return None
        row = found.get(cached_key)
        if tombstone in found or row is None or row[1] <= timezone.now():
            return None  # the database decides (and says a deleted or expired session is gone)
        return _Row(*row)

    def _cache_row(self, stored) -> None:
        cached_key, tombstone = _cache_keys(self.session_key)
        try:
            if shared_cache().get(tombstone) is None:
                shared_cache().set(cached_key, (stored.session_data, stored.expire_date, stored.last_seen, stored.created_at),
                          CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass

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
        session_cache_forget(self.session_key)
        try:
            with transaction.atomic(using=using):
                if must_create:
                    obj.save(force_insert=True, using=using)
                else:
                    obj.save(force_update=True, using=using, update_fields=update_fields)
                transaction.on_commit(lambda: session_cache_forget(obj.session_key), using=using, robust=True)
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
            session_cache_forget(session.session_key)
        return response


def _session_deleted(sender, instance, **kwargs) -> None:
    session_cache_forget(instance.session_key, gone=True)


def session_cache_connect() -> None:
    """Tombstone every deleted session row (also queryset and cascade deletes: Django sends the signal per row)."""
    from .models import Session

    post_delete.connect(_session_deleted, sender=Session, dispatch_uid="accounts.session_cache")
