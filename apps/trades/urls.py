from django.urls import path

from . import api, views

urlpatterns = [
    path("api/trades", api.TradeListApi.as_view(), name="api-trades"),
    path("api/trades/import", api.ImportStartApi.as_view(), name="api-trades-import"),
    path("api/trades/import/<str:job_id>", api.ImportJobDetailApi.as_view(), name="api-trades-import-job"),
    path("api/trades/upload", api.UploadApi.as_view(), name="api-trades-upload"),
    path("api/trades/upload/headers", api.UploadHeadersApi.as_view(), name="api-trades-upload-headers"),
    path("api/trades/mappings", api.MappingListApi.as_view(), name="api-trades-mappings"),
    path("api/trades/<str:trade_id>", api.TradeDetailApi.as_view(), name="api-trade"),
    path("import/", views.import_page, name="import"),
    path("upload/", views.upload_page, name="upload"),
]
