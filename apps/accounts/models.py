from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower

from apps.core.ids import new_id
from apps.core.models import BaseModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        user = self.model(email=self.normalize_email(email).strip().lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin, BaseModel):
    """The trader. Email is the login (stored lower-cased; unique case-insensitively)."""

    TONE_CHOICES = [("supportive", "Supportive"), ("strict", "Strict")]
    # the trading style whose policy the pre-trade gate applies (apps/gate/personas/<id>.json)
    PERSONA_CHOICES = [("crypto", "Crypto trader"), ("shortterm", "Short-term trader"), ("swing", "Swing trader"),
                       ("indexdca", "Index / DCA investor")]

    email = models.EmailField(max_length=254, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    coach_tone = models.CharField(max_length=16, choices=TONE_CHOICES, default="supportive")
    timezone = models.CharField(max_length=64, default="UTC")  # IANA name; the weekly digest's week is local
    digest_email = models.BooleanField(default=True)  # mail the weekly digest (it is always on /digest/)
    persona = models.CharField(max_length=16, choices=PERSONA_CHOICES, default="crypto")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    # A user read through the auth backend's cache (`backends.EmailBackend.get_user`) has no password hash
    # loaded; it carries the session verification hash made from it instead.
    CACHED_SESSION_AUTH_HASH = "_cached_session_auth_hash"

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_session_auth_hash(self) -> str:
        """Django's; from the cached hash while the password hash is not loaded (once it is, or is set, from it)."""
        if "password" not in self.__dict__ and self.CACHED_SESSION_AUTH_HASH in self.__dict__:
            return self.__dict__[self.CACHED_SESSION_AUTH_HASH]
        return super().get_session_auth_hash()

    @property
    def password_hash(self) -> str:
        """DESIGN.md's `passwordHash`: Django keeps it in `password` (Argon2id)."""
        return self.password


class Session(AbstractBaseSession):
    """Django session row carrying the user, hashed client fingerprints and a coarse device and masked address
    for the account page (never the raw IP or user agent)."""

    id = models.CharField(max_length=32, default=new_id, unique=True, editable=False)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    ip_hash = models.CharField(max_length=64, blank=True, default="")
    ua_hash = models.CharField(max_length=64, blank=True, default="")
    device = models.CharField(max_length=96, blank=True, default="")  # "Chrome on Linux", never the user agent
    ip_masked = models.CharField(max_length=64, blank=True, default="")  # "203.0.113.x", "2001:db8:1::/48"
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user"], name="accounts_session_user_idx")]

    @property
    def expires_at(self):
        return self.expire_date

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class Audit(BaseModel):
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audits")
    action = models.CharField(max_length=64)
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_audit_user_ts_idx")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} ({self.user_id})"
