from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from .backends import user_cache_connect
        from .sessions import session_cache_connect

        session_cache_connect()
        user_cache_connect()
