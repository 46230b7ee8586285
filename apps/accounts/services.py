"""Account writes: signup, login/logout, password and preference changes, the audit trail."""
from __future__ import annotations

import functools
import zoneinfo

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from apps.core.errors import Unauthenticated, ValidationFailed

from .hooks import logout_notify, password_changed_notify
from .models import Audit, Session, User
from .sessions import fingerprint_hash

EMAIL_MAX_LENGTH = 254
BACKEND = "apps.accounts.backends.EmailBackend"
TONES = {value for value, _label in User.TONE_CHOICES}
PERSONAS = {value for value, _label in User.PERSONA_CHOICES}


def audit_record(*, user: User | None, action: str, meta: dict | None = None) -> Audit:
    return Audit.objects.create(user=user, action=action, meta=meta or {})


def email_normalize(*, email: str) -> str:
    """Trimmed and lower-cased; raises ValidationFailed (field `email`) when it is not a usable address."""
    value = (email or "").strip().lower()
    if not value:
        raise ValidationFailed(fields={"email": ["Enter your email address."]})
    if len(value) > EMAIL_MAX_LENGTH:
        raise ValidationFailed(fields={"email": [f"Use at most {EMAIL_MAX_LENGTH} characters."]})
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValidationFailed(fields={"email": ["Enter a valid email address."]}) from exc
    return value


def _password_check(*, password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(fields={field: list(exc.messages)}) from exc


def _client_meta(request: HttpRequest) -> dict:
    return {"ipHash": fingerprint_hash(request.META.get("REMOTE_ADDR", ""))}


def _email_meta(email: str) -> dict:
    """Enough to spot a credential-stuffing pattern without keeping the address itself."""
    domain = email.rsplit("@", 1)[1] if "@" in email else ""
    return {"emailDomain": domain[:253], "emailHash": fingerprint_hash(email)}


def user_signup(*, email: str, password: str, request: HttpRequest | None = None) -> User:
    """Create the account (audit `signup`); with a request, the new user is logged in on it."""
    email = email_normalize(email=email)
    if not isinstance(password, str) or not password:
        raise ValidationFailed(fields={"password": ["Choose a password."]})
    _password_check(password=password, user=User(email=email), field="password")
    duplicate = ValidationFailed(fields={"email": ["An account with this email already exists."]})
    if User.objects.filter(email__iexact=email).exists():
        raise duplicate
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password)
            audit_record(user=user, action="signup", meta={})
            if request is not None:
                login(request, user, backend=BACKEND)
                audit_record(user=user, action="login", meta={"via": "signup", **_client_meta(request)})
    except IntegrityError as exc:
        raise duplicate from exc
    return user


def user_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Check the credentials and start a session (key rotated). Wrong ones: audit `login_failed`, 401."""
    normalized = (email or "").strip().lower()[:EMAIL_MAX_LENGTH + 1]
    user = None
    if normalized and len(normalized) <= EMAIL_MAX_LENGTH and isinstance(password, str) and password:
        user = authenticate(request, email=normalized, password=password)
    if user is None:
        target = User.objects.filter(email=normalized).first() if len(normalized) <= EMAIL_MAX_LENGTH else None
        audit_record(user=target, action="login_failed", meta={**_email_meta(normalized), **_client_meta(request)})
        raise Unauthenticated("The email or password is wrong.", code="invalid_credentials")
    with transaction.atomic():
        login(request, user, backend=BACKEND)
        audit_record(user=user, action="login", meta=_client_meta(request))
    return user


def user_logout(*, request: HttpRequest) -> None:
    """End the session: its row is deleted, the cookie cleared; `on_logout` hooks run after commit."""
    user = request.user
    session_key = request.session.session_key or ""
    with transaction.atomic():
        logout(request)
        if user is not None and user.is_authenticated:
            audit_record(user=user, action="logout", meta={})
            logout_notify(user_id=user.id, session_key=session_key)


def session_end(*, user: User, session_id: str, current_session_key: str) -> int:
    """End one of the user's other sessions (`session_id`), or with `session_id="others"` every other one; their
    sockets close through the `on_logout` hooks. Returns how many were ended (0: not found, not the user's, or
    this very session, which ends through logout)."""
    sessions = Session.objects.filter(user=user).exclude(session_key=current_session_key)
    if session_id != "others":
        sessions = sessions.filter(id=session_id)
    with transaction.atomic():
        ended = list(sessions.select_for_update().values_list("session_key", flat=True))
        if not ended:
            return 0
        Session.objects.filter(session_key__in=ended).delete()
        audit_record(user=user, action="session_ended", meta={"count": len(ended)})
        for session_key in ended:
            logout_notify(user_id=user.id, session_key=session_key)
    return len(ended)


def user_change_password(*, request: HttpRequest, old_password: str, new_password: str) -> None:
    """Verify the old password, set the new one, rotate this session and end every other one."""
    user = request.user
    if not isinstance(old_password, str) or not user.check_password(old_password):
        raise ValidationFailed(fields={"oldPassword": ["The current password is wrong."]})
    if not isinstance(new_password, str) or not new_password:
        raise ValidationFailed(fields={"newPassword": ["Choose a new password."]})
    _password_check(password=new_password, user=user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        Session.objects.filter(user=user).exclude(session_key=request.session.session_key).delete()
        audit_record(user=user, action="password_changed", meta={})
        password_changed_notify(user_id=user.id)


@functools.cache
def timezone_names() -> frozenset[str]:
    """The IANA time zone names this system knows (``zoneinfo``), e.g. "Europe/Paris", "UTC"."""
    return frozenset(zoneinfo.available_timezones())


def user_update_preferences(*, user: User, coach_tone: str | None = None, timezone: str | None = None,
                            digest_email: bool | None = None, persona: str | None = None) -> User:
    """Change any of coach tone, time zone (IANA name), the weekly digest email and the trading persona; None
    leaves one as is.
    Everything is validated before anything is written."""
    errors: dict[str, list[str]] = {}
    if coach_tone is not None and coach_tone not in TONES:
        errors["coachTone"] = [f"Choose one of: {', '.join(sorted(TONES))}."]
    if timezone is not None and timezone not in timezone_names():
        errors["timezone"] = ["Use an IANA time zone name such as Europe/Paris or UTC."]
    if persona is not None and persona not in PERSONAS:
        errors["persona"] = [f"Choose one of: {', '.join(sorted(PERSONAS))}."]
    if errors:
        raise ValidationFailed(fields=errors)
    wanted = {"coach_tone": coach_tone, "timezone": timezone, "digest_email": digest_email, "persona": persona}
    changed = {name: value for name, value in wanted.items() if value is not None and getattr(user, name) != value}
    if changed:
        with transaction.atomic():
            for name, value in changed.items():
                setattr(user, name, value)
            user.save(update_fields=list(changed))
            names = {"coach_tone": "coachTone", "timezone": "timezone", "digest_email": "digestEmail",
                     "persona": "persona"}
            audit_record(user=user, action="preferences_changed",
                         meta={names[name]: value for name, value in changed.items()})
    return user


def user_get_or_create(*, email: str, password: str) -> User:
    """The user with this email, created with this password when there is none (demo and fixtures)."""
    user = User.objects.filter(email=email_normalize(email=email)).first()
    return user or User.objects.create_user(email_normalize(email=email), password)
