"""The performance page and the account page's data card render for their owner only, in few queries."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_performance_page(client, user, book, django_assert_max_num_queries):
    client.force_login(user)
    with django_assert_max_num_queries(3):
        response = client.get("/analytics/")
    assert response.status_code == 200
    body = response.content.decode()
    for marker in ('id="analytics"', 'id="summary-table"', 'id="equity-chart"', 'id="equity-table"',
                   'id="calendar-table"', 'id="breakdown-table"', "js/analytics.js"):
        assert marker in body
    assert "<script>" not in body  # no inline script (strict CSP)
    labels = sorted({b["key"] for c in client.get("/api/analytics/breakdown", {"by": "label"}).json()["currencies"]
                     for b in c["buckets"]})
    assert labels and all(f'<option value="{label}">' in body for label in labels)


def test_performance_page_needs_login(client):
    response = client.get("/analytics/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_account_page_offers_export_and_delete(client, user):
    client.force_login(user)
    body = client.get("/account/").content.decode()
    assert 'id="account-data"' in body and 'id="export-start"' in body and 'id="delete-form"' in body
    assert "js/analytics-account.js" in body


def test_account_data_counts_what_a_delete_removes(api_client, user, django_assert_max_num_queries):
    from apps.core.userdata import user_data_sets

    with django_assert_max_num_queries(len(user_data_sets()) + 3):
        body = api_client.get("/api/account/data").json()
    tables = {t["table"]: t["rows"] for t in body["tables"]}
    assert tables["accounts_user"] == 1
    assert all(rows > 0 for rows in tables.values())
    assert body["files"] == 0
