from django.urls import path

from .consumers import CoachConsumer

websocket_urlpatterns: list = [path("ws/coach", CoachConsumer.as_asgi())]
