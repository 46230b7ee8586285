"""WebSocket routes; each app contributes its own `routing.websocket_urlpatterns`."""
from apps.events.routing import websocket_urlpatterns as events_ws

websocket_urlpatterns = [*events_ws]
