"""Export and hard delete of everything a user owns, checked table by table against the model registry."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.testing import DEFAULT_PASSWORD
from apps.analytics.models import ExportJob, StoredFileDeletion
from apps.analytics.services.exports import csv_cell
from apps.bias.services import rule_upsert
from apps.core.userdata import user_data_sets
from apps.journal.services import entry_note_add
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _linked_to_user(model, depth: int = 0) -> bool:
    """Whether rows of `model` belong to one user: a relation to the user, directly or through a parent."""
    user_model = django_apps.get_model(settings.AUTH_USER_MODEL)
    if model is user_model:
        return True
    if depth > 3:
        return False
    return any(f.is_relation and f.related_model is not None and f.related_model is not model
               and (f.related_model is user_model or _linked_to_user(f.related_model, depth + 1))
               for f in model._meta.concrete_fields)


def test_every_model_holding_a_users_rows_is_registered():
    """A new model owned by a user fails here until its app lists it in its userdata.py."""
    registered = {d.model_label for d in user_data_sets()}
    owned = {m._meta.label for m in django_apps.get_models()
             if m.__module__.startswith("apps.") and _linked_to_user(m)}
    assert owned - registered == set()
    assert registered - owned == set()


def test_every_registered_lookup_runs(user):
    for dataset in user_data_sets():
        expected = 1 if dataset.model_label == "accounts.User" else 0
        assert dataset.queryset(user).count() == expected, dataset.model_label


def test_delete_order_puts_children_first():
    order = [d.model_label for d in user_data_sets()]
    assert order.index("bias.BiasTag") < order.index("trades.Trade") < order.index("accounts.User")
    assert order.index("trades.ImportUpload") < order.index("trades.ImportJob")
    assert order[-1] == "accounts.User"


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("-12.5", "-12.5"), ("12", "12"), ("BTC-USD", "BTC-USD"),
    (None, ""), (True, "true"), ({"a": 1}, '{"a": 1}'),
])
def test_csv_cells_are_escaped_against_formulas(value, cell):
    assert csv_cell(value) == cell


@pytest.fixture
def owned(user, book, coinbase_connection):
    """Rows of `user` in as many tables as a real account fills, plus an archived digest in storage."""
    rule_upsert(user=user, kind="minHoldHours", params={"hours": 2})
    entry_note_add(user=user, text="Held the loser too long again")
    TradeFactory(user=user, ext_id="=HYPERLINK(\"http://evil\")", symbol="BTC-USD", side="BUY",
                 qty=Decimal("0.1"), price=Decimal("1"), ts=book - timedelta(days=1))
    archive = default_storage.save(f"digests/{user.id}/2026-W40.json", ContentFile(b'{"week": 40}'))
    yield archive
    default_storage.delete(archive)


def _export(client, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/account/export")
    assert response.status_code == 202
    return response.json()


def _download(client, url: str) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_export_holds_every_row_of_every_table(api_client, user, other_user, owned,
                                               django_capture_on_commit_callbacks):
    TradeFactory(user=other_user)
    job_id = _export(api_client, django_capture_on_commit_callbacks)["jobId"]
    ready = list(django_apps.get_model("events.EventOutbox").objects.filter(user_id=user.id, type="export.ready"))
    assert len(ready) == 1 and ready[0].payload["jobId"] == job_id
    at_export = {d.model_label: d.queryset(user).count() for d in user_data_sets()}
    at_export["events.EventOutbox"] -= 1  # export.ready itself is written once the archive is stored
    archive = _download(api_client, ready[0].payload["url"])  # (audited: one more audit row from here on)

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"] == [owned]
    assert archive.read(f"files/{owned}") == b'{"week": 40}'
    for dataset in user_data_sets():
        expected = at_export[dataset.model_label]
        rows = json.loads(archive.read(f"{dataset.name}.json"))
        table = list(csv.reader(io.StringIO(archive.read(f"{dataset.name}.csv").decode())))
        assert len(rows) == expected, dataset.model_label
        assert len(table) == expected + 1, dataset.model_label
        assert manifest["tables"][dataset.name] == expected
    for name in ("accounts_user", "accounts_audit", "trades_trade", "bias_biastag", "bias_tradeposition",
                 "bias_reflection", "bias_rule", "brokers_brokerconnection", "brokers_datakey",
                 "events_eventoutbox", "analytics_exportjob"):
        assert manifest["tables"][name] > 0, name

    user_row = json.loads(archive.read("accounts_user.json"))[0]
    assert user_row["email"] == user.email and "password" not in user_row
    connection = json.loads(archive.read("brokers_brokerconnection.json"))[0]
    assert "access_enc" not in connection and "refresh_enc" not in connection
    assert connection["broker"] == "coinbase"
    assert "wrapped" not in json.loads(archive.read("brokers_datakey.json"))[0]
    (entry,) = json.loads(archive.read("journal_journalentry.json"))
    assert "Held the loser too long again" in entry["text"] and "text_enc" not in entry  # opened, never sealed
    assert "text_enc" not in archive.read("journal_journalentry.csv").decode().splitlines()[0]
    trades = json.loads(archive.read("trades_trade.json"))
    assert {t["user_id"] for t in trades} == {user.id}
    assert len(trades) == 11
    first = next(t for t in trades if t["price"] == "100.000000000000000000")
    assert first["qty"] == "1.000000000000000000"  # exact decimals, never floats
    csv_trades = list(csv.DictReader(io.StringIO(archive.read("trades_trade.csv").decode())))
    assert {row["ext_id"] for row in csv_trades} >= {"'=HYPERLINK(\"http://evil\")"}
    assert any(row["ext_id"] == "=HYPERLINK(\"http://evil\")" for row in trades)  # JSON keeps the value as is


def test_export_link_is_single_user_single_session_and_expires(api_client, user, other_user,
                                                               django_capture_on_commit_callbacks):
    job_id = _export(api_client, django_capture_on_commit_callbacks)["jobId"]
    status = api_client.get(f"/api/account/export/{job_id}").json()
    assert status["status"] == "done" and status["tables"]["accounts_user"] == 1
    url = status["url"]
    assert api_client.get(url).status_code == 200

    other = APIClient()
    other.force_login(other_user)
    assert other.get(url).status_code == 404
    assert other.get(f"/api/account/export/{job_id}").status_code == 404
    second_session = APIClient()
    second_session.force_login(user)
    assert second_session.get(url).status_code == 404
    assert api_client.get(url.replace("token=", "token=x")).status_code == 404
    assert APIClient().get(url).status_code in (401, 403)

    ExportJob.objects.filter(id=job_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client.get(url).status_code == 404
    assert api_client.get(f"/api/account/export/{job_id}").json()["url"] is None


def test_expired_export_file_is_deleted_by_its_job(api_client, user, django_capture_on_commit_callbacks):
    from apps.analytics.services.files import stored_files_delete_execute

    job_id = _export(api_client, django_capture_on_commit_callbacks)["jobId"]
    job = ExportJob.objects.get(id=job_id)
    assert default_storage.exists(job.path)
    deletion = StoredFileDeletion.objects.get(paths=[job.path])
    assert deletion.reason == "export_expired" and deletion.not_before == job.expires_at
    assert stored_files_delete_execute(job_id=deletion.id).status == "queued"  # not due yet: untouched
    assert default_storage.exists(job.path)
    StoredFileDeletion.objects.filter(id=deletion.id).update(not_before=timezone.now())
    assert stored_files_delete_execute(job_id=deletion.id).status == "done"
    assert not default_storage.exists(job.path)


def test_export_is_limited_to_two_an_hour(api_client, user, django_capture_on_commit_callbacks):
    from apps.core.testing import rate_window_fresh

    rate_window_fresh(key_value=str(user.pk), period=3600)
    for _ in range(2):
        _export(api_client, django_capture_on_commit_callbacks)
    response = api_client.post("/api/account/export")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert ExportJob.objects.filter(user=user).count() == 2


def _counts(user) -> dict[str, int]:
    return {d.model_label: d.queryset(user).count() for d in user_data_sets()}


@pytest.mark.parametrize("body, field", [
    ({"password": "wrong password", "confirm": "DELETE"}, "password"),
    ({"password": DEFAULT_PASSWORD, "confirm": "delete"}, "confirm"),
    ({"password": DEFAULT_PASSWORD}, "confirm"),
])
def test_delete_refused_deletes_nothing(api_client, user, owned, body, field):
    before = _counts(user)
    response = api_client.post("/api/account/delete", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert _counts(user) == before
    assert default_storage.exists(owned)
    assert api_client.get("/api/auth/me").status_code == 200


def test_wrong_passwords_on_delete_are_limited(api_client, user):
    from apps.core.testing import rate_window_fresh

    rate_window_fresh(key_value=str(user.pk), period=900)
    for _ in range(5):
        assert api_client.post("/api/account/delete", {"password": "guess", "confirm": "DELETE"},
                               format="json").status_code == 400
    refused = api_client.post("/api/account/delete", {"password": DEFAULT_PASSWORD, "confirm": "DELETE"}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert type(user).objects.filter(id=user.id).exists()


def test_delete_removes_every_row_and_file_and_ends_sessions(api_client, user, other_user, owned, stub_exchange,
                                                             django_capture_on_commit_callbacks):
    _export(api_client, django_capture_on_commit_callbacks)
    export_path = ExportJob.objects.get(user=user).path
    other_trade = TradeFactory(user=other_user)
    second_session = APIClient()
    second_session.force_login(user)
    assert sum(_counts(user).values()) > 50
    user_id, email = user.id, user.email

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/account/delete", {"password": DEFAULT_PASSWORD, "confirm": "DELETE"},
                                   format="json")
    assert response.status_code == 200 and response.json() == {"deleted": True}

    assert {label: n for label, n in _counts(user).items() if n} == {}
    for model in django_apps.get_models():  # no column anywhere still names the user
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is type(user):
                assert not model._default_manager.filter(**{f.attname: user_id}).exists(), model._meta.label
    assert len(stub_exchange.state.revoked_grants) >= 1  # the Coinbase tokens were revoked first
    assert not default_storage.exists(owned) and not default_storage.exists(export_path)
    assert StoredFileDeletion.objects.get(reason="account_deleted").status == "done"

    audit_model = django_apps.get_model("accounts.Audit")
    deleted = list(audit_model.objects.filter(action="account_deleted").values("user_id", "meta"))
    assert len(deleted) == 1 and deleted[0]["user_id"] is None
    assert email not in json.dumps(deleted[0]["meta"]) and user_id not in json.dumps(deleted[0]["meta"])
    assert api_client.get("/api/auth/me").status_code in (401, 403)
    assert second_session.get("/api/auth/me").status_code in (401, 403)
    assert type(other_trade).objects.filter(id=other_trade.id).exists()


def test_a_parked_file_deletion_is_released_and_finishes(django_capture_on_commit_callbacks):
    from apps.analytics.services.files import stored_files_delete_release

    path = default_storage.save("exports/orphan/left.zip", ContentFile(b"zip"))
    job = StoredFileDeletion.objects.create(paths=[path], reason="account_deleted", status="parked", attempts=50,
                                            error="Stopped after 50 attempts.")
    with django_capture_on_commit_callbacks(execute=True):
        stored_files_delete_release(job_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.deleted, job.error) == ("done", 1, 1, "")
    assert not default_storage.exists(path)


def test_admin_lists_exports_and_deletions(admin_client, user):
    ExportJob.objects.create(user=user, session_hash="x" * 64)
    StoredFileDeletion.objects.create(paths=["a"], reason="export_expired")
    assert admin_client.get("/admin/analytics/exportjob/").status_code == 200
    assert admin_client.get("/admin/analytics/storedfiledeletion/").status_code == 200
