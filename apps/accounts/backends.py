from django.contrib.auth.backends import ModelBackend
from django.db.models.signals import post_delete, post_save

from apps.core.readcache import read_through, user_data_changed

from .models import User


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
        """The signed-in user of a request, through the read cache: kept under the user's data version, which
        any save or delete of the user replaces (`user_cache_connect`)."""
        return read_through(user_id=str(user_id), name="accounts.user", params=(),
                            build=lambda: ModelBackend.get_user(self, user_id))


def _user_changed(sender, instance, **kwargs) -> None:
    user_data_changed(instance.pk)


def user_cache_connect() -> None:
    post_save.connect(_user_changed, sender=User, dispatch_uid="accounts.user_cache.save")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="accounts.user_cache.delete")
