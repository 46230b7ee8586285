"""Admin never shows sealed bytes; the connections page renders without inline script."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.brokers.services import connection_open_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def admin_client_logged_in(db) -> Client:
    admin = User.objects.create_superuser("ops@example.com", "an-operator-password-42")
    client = Client()
    client.force_login(admin)
    return client


def test_admin_change_page_never_renders_sealed_bytes(stub_exchange, coinbase_connection, admin_client_logged_in):
    tokens = connection_open_tokens(connection=coinbase_connection)
    sealed = bytes(coinbase_connection.access_enc)

    for url in (f"/admin/brokers/brokerconnection/{coinbase_connection.id}/change/",
                "/admin/brokers/brokerconnection/",
                "/admin/brokers/brokerconnection/?q=" + coinbase_connection.user.email):
        response = admin_client_logged_in.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for forbidden in (tokens.access, tokens.refresh, sealed.hex(), repr(sealed)[2:40], "access_enc",
                          "refresh_enc", "Access enc", "Refresh enc"):
            assert forbidden not in html, (url, forbidden[:20])
    change = admin_client_logged_in.get(f"/admin/brokers/brokerconnection/{coinbase_connection.id}/change/")
    assert "Sealed secrets stored" in change.content.decode()


def test_admin_data_key_page_hides_wrapped_key(stub_exchange, coinbase_connection, admin_client_logged_in):
    from apps.brokers.models import DataKey

    key = DataKey.objects.get(user=coinbase_connection.user)
    html = admin_client_logged_in.get(f"/admin/brokers/datakey/{key.id}/change/").content.decode()
    assert bytes(key.wrapped).hex() not in html and "wrapped" not in html.lower()


def test_connections_page_lists_connections_without_inline_script(stub_exchange, coinbase_connection):
    client = Client()
    client.force_login(coinbase_connection.user)
    response = client.get("/connections/?linked=coinbase")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-connection-id="{coinbase_connection.id}"' in html
    assert "Coinbase is connected." in html
    assert f'<span title="{coinbase_connection.scope}">Read-only access</span>' in html  # never the raw scope as text
    assert '<a class="import-now" href="/import/?broker=coinbase">Import now</a>' in html
    page = client.get("/import/?broker=coinbase").content.decode()
    assert '<option value="coinbase" selected>' in page
    assert 'src="/static/js/connections.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert " style=" not in html
    tokens = connection_open_tokens(connection=coinbase_connection)
    assert tokens.access not in html and tokens.refresh not in html


def test_connections_page_requires_login(db):
    response = Client().get("/connections/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_admin_names_pending_authorizations_oauth_states(admin_client_logged_in):
    index = admin_client_logged_in.get("/admin/").content.decode()
    assert ">OAuth states<" in index and "O auth" not in index
