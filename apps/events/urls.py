from django.urls import path

from .api import EventListApi

urlpatterns = [path("api/events", EventListApi.as_view(), name="event-list")]
