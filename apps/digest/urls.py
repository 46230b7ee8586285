from django.urls import path

from . import api, views

urlpatterns = [
    path("digest/", views.digest_page, name="digest"),
    path("digest/<str:digest_id>/", views.digest_detail_page, name="digest-detail"),
    path("account/digest", views.digest_preferences, name="account-digest"),
    path("api/digests", api.DigestListApi.as_view(), name="digest-list"),
    path("api/digests/weekly/latest", api.DigestLatestApi.as_view(), name="digest-latest"),
    path("api/digests/<str:digest_id>", api.DigestDetailApi.as_view(), name="digest-detail-api"),
]
