import pytest


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert response.status_code == (200 if not body["down"] else 503)
