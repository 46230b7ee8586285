from django.contrib.auth.backends import ModelBackend
from django.db import router
from django.db.models.signals import post_delete, post_save

from apps.core.readcache import read_through, user_data_changed

from .models import User

# What the read cache keeps of the signed-in user: every column but the password hash and the email address
# (neither goes to the cache; an instance loads them from the database when something reads them).
CACHED_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname not in ("password", "email"))


class EmailBackend(ModelBackend):
    """Authenticate by email, case-insensitively."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip().lower()
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email=email)
        except User.DoesNotExist:
            User().set_password(password)  # equalise timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in user of a request, through the read cache under the user's data version (which any
        save or delete of the user replaces, `user_cache_connect`): the cached columns and the session
        verification hash, which the session data already holds; never the password hash."""
        row = read_through(user_id=str(user_id), name="accounts.user", params=(), build=lambda: _user_row(user_id))
        if row is None:
            return None
        values, session_auth_hash = row
        user = User.from_db(router.db_for_read(User), CACHED_FIELDS, values)
        user.__dict__[User.CACHED_SESSION_AUTH_HASH] = session_auth_hash
        return user if self.user_can_authenticate(user) else None


def _user_row(user_id) -> tuple[tuple, str] | None:
    user = User._default_manager.filter(pk=user_id).first()
    if user is None:
        return None
    return tuple(getattr(user, name) for name in CACHED_FIELDS), user.get_session_auth_hash()


def _user_changed(sender, instance, **kwargs) -> None:
    user_data_changed(instance.pk)


def user_cache_connect() -> None:
    post_save.connect(_user_changed, sender=User, dispatch_uid="accounts.user_cache.save")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="accounts.user_cache.delete")
