import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Audit, Session, User
from apps.core.testing import csrf_token_for

pytestmark = pytest.mark.django_db


def test_post_without_csrf_token_is_403_json(csrf_client):
    response = csrf_client.post("/api/auth/signup", {"email": "a@example.com", "password": "violet-harbour-42"},
                                format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not User.objects.exists()


def test_authenticated_post_without_csrf_token_is_403(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/auth/preferences", {"coachTone": "strict"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    user.refresh_from_db()
    assert user.coach_tone == "supportive"


def test_page_post_without_csrf_token_is_403_page(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"email": user.email, "password": "x"})
    assert response.status_code == 403
    assert b"Your form expired" in response.content


def test_malformed_json_is_400_parse_error(csrf_client):
    csrf_client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(csrf_client))
    response = csrf_client.post("/api/auth/signup", data='{"email": "a@example.com", "password": ',
                                content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "parse_error"
    assert not User.objects.exists()


def test_ten_megabyte_body_is_413_and_writes_nothing(csrf_client):
    csrf_client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(csrf_client))
    payload = '{"email": "big@example.com", "password": "' + "x" * (10 * 1024 * 1024) + '"}'
    response = csrf_client.post("/api/auth/signup", data=payload, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not User.objects.exists()
    assert not Audit.objects.exists()
    assert not Session.objects.exclude(user=None).exists()


def test_ten_megabyte_form_post_to_a_page_is_413_html(client):
    response = client.post("/login/", data="email=" + "x" * (10 * 1024 * 1024),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert b"too large" in response.content


def test_unsupported_media_type_is_json(csrf_client):
    csrf_client.credentials(HTTP_X_CSRFTOKEN=csrf_token_for(csrf_client))
    response = csrf_client.post("/api/auth/signup", data="<a/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_wrong_method_is_json_405(api_client):
    response = api_client.delete("/api/auth/me")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
