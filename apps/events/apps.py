from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from apps.accounts.hooks import on_logout, on_password_changed

        from .observability import observability_register
        from .services import sockets_close_for_session, sockets_close_for_user

        on_logout(sockets_close_for_session)
        on_password_changed(sockets_close_for_user)
        observability_register()
