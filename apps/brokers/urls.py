from django.urls import path

from . import api, views

urlpatterns = [
    path("api/brokers/connections", api.ConnectionListApi.as_view(), name="api-brokers-connections"),
    path("api/brokers/binance/keys", api.BinanceKeysApi.as_view(), name="api-brokers-binance-keys"),
    path("api/brokers/<str:broker>/connect/start", api.ConnectStartApi.as_view(), name="api-brokers-connect-start"),
    path("api/brokers/<str:broker>/connect/callback", api.ConnectCallbackApi.as_view(),
         name="api-brokers-connect-callback"),
    path("api/brokers/<str:ref>/pause", api.ConnectionPauseApi.as_view(), name="api-brokers-pause"),
    path("api/brokers/<str:ref>/resume", api.ConnectionResumeApi.as_view(), name="api-brokers-resume"),
    path("api/brokers/<str:ref>/disconnect", api.ConnectionDisconnectApi.as_view(), name="api-brokers-disconnect"),
    path("connections/", views.connections_page, name="connections"),
]
