"""File uploads end to end: multipart → parse → stored upload → job → trades, through the real parsers."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.testing import rate_window_fresh
from apps.events.models import EventOutbox
from apps.trades.models import ColumnMappingPreset, ImportJob, ImportUpload, Trade
from apps.trades.parsers import ColumnMapping, parse_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("scoring_handoff")]

FIXTURES = Path(__file__).parent / "parsers" / "fixtures"
KNOWN = [
    "coinbase_transactions_current.csv", "coinbase_transactions_2021.csv", "coinbase_transactions_2020_cp1252.csv",
    "coinbase_pro_fills.csv", "coinbase_pro_account.csv", "binance_spot_trade_history.csv",
    "binance_spot_trade_history_de.csv", "binance_trade_history_old.csv", "binance_order_history_old.csv",
]
GENERIC_MAPPING = {"ext_id": "trade_id", "timestamp": "When", "symbol": "Instrument", "side": "Direction",
                   "qty": "Quantity", "price": "Unit Price", "fee": "Commission", "fee_asset": "Commission Currency"}


def _upload(client, name: str, data: bytes, capture, **extra):
    with capture(execute=True):
        return client.post("/api/trades/upload", {"file": SimpleUploadedFile(name, data, "text/csv"), **extra},
                           format="multipart")


def _stored(user) -> set[tuple]:
    return {(t.broker, t.ext_id, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset, t.quote_asset, t.ts)
            for t in Trade.objects.filter(user=user)}


def _expected(result) -> set[tuple]:
    return {(result.broker, t.ext_id, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset or "",
             t.quote_asset or "", t.ts) for t in result.trades}


def _nothing_written(user):
    assert ImportJob.objects.filter(user=user).count() == 0
    assert ImportUpload.objects.count() == 0
    assert Trade.objects.filter(user=user).count() == 0
    assert EventOutbox.objects.filter(user=user).count() == 0


@pytest.mark.parametrize("name", KNOWN)
def test_each_known_export_is_imported_with_its_report(name, api_client, user, django_capture_on_commit_callbacks):
    data = (FIXTURES / name).read_bytes()
    parsed = parse_file(data, filename=name)

    response = _upload(api_client, name, data, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    job = api_client.get(f"/api/trades/import/{response.json()['jobId']}").json()
    assert job["status"] == "done" and job["source"] == "upload" and job["broker"] == parsed.broker
    assert job["counts"] == {"fetched": len(parsed.trades), "inserted": len(_expected(parsed)),
                             "duplicates": len(parsed.trades) - len(_expected(parsed)),
                             "skipped": sum(parsed.skipped.values()) + len(parsed.errors)}
    report = job["report"]
    assert report["format"] == parsed.format and report["filename"] == name
    assert report["skippedByType"] == parsed.skipped
    assert report["errors"] == [{"line": e.line, "reason": e.reason} for e in parsed.errors]
    assert report["totalRows"] == parsed.total_rows
    assert _stored(user) == _expected(parsed)
    progress = EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")
    assert progress.last().payload["done"] is True


def test_a_finished_upload_hands_its_trades_to_scoring_once(api_client, user, django_capture_on_commit_callbacks,
                                                             scoring_handoff):
    from apps.bias.models import ScoringRun

    data = (FIXTURES / "coinbase_transactions_current.csv").read_bytes()

    job_id = _upload(api_client, "a.csv", data, django_capture_on_commit_callbacks).json()["jobId"]
    _upload(api_client, "a.csv", data, django_capture_on_commit_callbacks)  # the same file again: the same job

    runs = list(ScoringRun.objects.filter(user=user))
    assert Trade.objects.filter(user=user).count() == len(parse_file(data).trades) > 0
    assert [(run.source, run.status) for run in runs] == [(f"import:{job_id}", "queued")]
    assert scoring_handoff == [runs[0].id]


def test_uploading_the_same_file_again_is_the_same_job(api_client, user, django_capture_on_commit_callbacks):
    data = (FIXTURES / "coinbase_pro_fills.csv").read_bytes()
    first = _upload(api_client, "a.csv", data, django_capture_on_commit_callbacks).json()

    second = _upload(api_client, "b.csv", data, django_capture_on_commit_callbacks).json()

    job = ImportJob.objects.get(user=user)
    assert second == {"jobId": first["jobId"], "repeat": True, "alreadyImported": job.inserted + job.duplicates,
                      "new": 0}
    assert "repeat" not in first and job.inserted > 0
    assert Trade.objects.filter(user=user).count() == job.inserted


def test_overlapping_uploads_add_no_duplicates(api_client, user, django_capture_on_commit_callbacks):
    lines = (FIXTURES / "coinbase_pro_fills.csv").read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    older = header + b"".join(rows[:3])
    newer = header + b"".join(rows[1:])
    everything = parse_file(header + b"".join(rows))

    first = _upload(api_client, "older.csv", older, django_capture_on_commit_callbacks).json()["jobId"]
    second = _upload(api_client, "newer.csv", newer, django_capture_on_commit_callbacks).json()["jobId"]

    jobs = {j.id: j for j in ImportJob.objects.filter(user=user)}
    overlap = len(parse_file(older).trades) - len(parse_file(header + rows[0]).trades)
    assert jobs[second].duplicates == overlap
    assert jobs[first].inserted + jobs[second].inserted == len(_expected(everything))
    assert _stored(user) == _expected(everything)


def test_generic_csv_needs_a_mapping_then_imports_through_it(api_client, user, django_capture_on_commit_callbacks):
    data = (FIXTURES / "generic_semicolon.csv").read_bytes()

    refused = _upload(api_client, "mine.csv", data, django_capture_on_commit_callbacks)
    headers = api_client.post("/api/trades/upload/headers",
                              {"file": SimpleUploadedFile("mine.csv", data)}, format="multipart").json()
    saved = api_client.post("/api/trades/mappings", {"name": "mybroker", "mapping": GENERIC_MAPPING}, format="json")
    accepted = _upload(api_client, "mine.csv", data, django_capture_on_commit_callbacks, mapping="mybroker")

    assert refused.status_code == 400 and refused.json()["error"]["code"] == "mapping_required"
    assert headers == {"headers": ["trade_id", "When", "Instrument", "Direction", "Quantity", "Unit Price",
                                   "Commission", "Commission Currency"], "format": "generic",
                       "guess": {"timestamp": "When", "symbol": "Instrument", "side": "Direction", "qty": "Quantity",
                                 "price": "Unit Price", "fee": "Commission", "fee_asset": "Commission Currency",
                                 "ext_id": "trade_id"},
                       "sample": [["T-1001", "04.03.2021 10:00:00", "BTC/EUR", "Buy", "0,01", "40.000,50", "1,99",
                                   "EUR"],
                                  ["T-1002", "05.03.2021 11:30:00", "eth-eur", "SELL", "0,5", "1.400,25", "0,70", ""],
                                  headers["sample"][2]]}
    assert len(headers["sample"][2]) == 8
    assert saved.status_code == 201 and saved.json()["name"] == "mybroker"
    assert accepted.status_code == 202
    parsed = parse_file(data, mapping=ColumnMapping(base=None, quote=None, **GENERIC_MAPPING))
    job = ImportJob.objects.get(id=accepted.json()["jobId"])
    assert (job.status, job.broker, job.report["format"], job.report["mapping"]) == (
        "done", "csv", "generic", "mybroker")
    assert _stored(user) == _expected(parsed)
    assert len(parsed.trades) > 0
    listed = api_client.get("/api/trades/mappings").json()["results"]
    assert [m["name"] for m in listed] == ["mybroker"]


def test_saving_a_mapping_again_replaces_it(api_client, user):
    api_client.post("/api/trades/mappings", {"name": "x", "mapping": GENERIC_MAPPING}, format="json")
    api_client.post("/api/trades/mappings", {"name": "x", "mapping": {**GENERIC_MAPPING, "fee": ""}}, format="json")

    preset = ColumnMappingPreset.objects.get(user=user, name="x")
    assert "fee" not in preset.mapping and preset.mapping["qty"] == "Quantity"


@pytest.mark.parametrize("mapping", [
    {"timestamp": "When", "side": "Direction", "qty": "Quantity"},
    {"timestamp": "When", "side": "Direction", "qty": "Quantity", "price": "P", "colour": "red"},
])
def test_incomplete_mapping_is_400_and_not_saved(api_client, user, mapping):
    response = api_client.post("/api/trades/mappings", {"name": "bad", "mapping": mapping}, format="json")

    assert response.status_code == 400
    assert ColumnMappingPreset.objects.count() == 0


def test_another_users_mapping_cannot_be_used(api_client, other_api_client, user, django_capture_on_commit_callbacks):
    api_client.post("/api/trades/mappings", {"name": "mine", "mapping": GENERIC_MAPPING}, format="json")
    data = (FIXTURES / "generic_semicolon.csv").read_bytes()

    response = _upload(other_api_client, "x.csv", data, django_capture_on_commit_callbacks, mapping="mine")

    assert response.status_code == 404
    assert ImportJob.objects.count() == 0


def test_user_b_cannot_read_user_a_upload_job(api_client, other_api_client, django_capture_on_commit_callbacks):
    data = (FIXTURES / "coinbase_pro_fills.csv").read_bytes()
    job_id = _upload(api_client, "a.csv", data, django_capture_on_commit_callbacks).json()["jobId"]

    assert other_api_client.get(f"/api/trades/import/{job_id}").status_code == 404


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02\xff" * 100, b"hello world\n"])
def test_unreadable_file_is_400_with_the_parser_message_and_nothing_written(
        api_client, user, django_capture_on_commit_callbacks, data):
    response = _upload(api_client, "junk.csv", data, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in ("empty_file", "unknown_format", "mapping_required")
    assert len(error["message"]) > 10
    _nothing_written(user)


def test_file_over_the_limit_is_413_json_and_nothing_written(api_client, user, django_capture_on_commit_callbacks,
                                                              settings):
    settings.UPLOAD_MAX_BYTES = 1024
    data = (FIXTURES / "coinbase_pro_fills.csv").read_bytes() * 20

    response = _upload(api_client, "big.csv", data, django_capture_on_commit_callbacks)

    assert len(data) > 1024
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    _nothing_written(user)


def test_ten_megabytes_and_more_is_413_before_parsing(api_client, user, django_capture_on_commit_callbacks):
    row = (FIXTURES / "coinbase_pro_fills.csv").read_bytes().splitlines(keepends=True)[1]
    data = (FIXTURES / "coinbase_pro_fills.csv").read_bytes() + row * (10 * 1024 * 1024 // len(row) + 1000)

    response = _upload(api_client, "huge.csv", data, django_capture_on_commit_callbacks)

    assert response.status_code == 413
    _nothing_written(user)


def test_missing_file_field_is_400(api_client, user):
    response = api_client.post("/api/trades/upload", {"other": "x"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["Required."]}
    _nothing_written(user)


def test_eleventh_upload_in_a_minute_is_429(api_client, user, django_capture_on_commit_callbacks):
    rate_window_fresh(key_value=str(user.pk))
    data = (FIXTURES / "coinbase_pro_fills.csv").read_bytes()
    statuses = [_upload(api_client, "same.csv", data, django_capture_on_commit_callbacks).status_code
                for _ in range(10)]

    eleventh = _upload(api_client, "same.csv", data, django_capture_on_commit_callbacks)

    assert statuses == [202] * 10
    assert eleventh.status_code == 429 and int(eleventh["Retry-After"]) >= 1
    assert ImportJob.objects.filter(user=user).count() == 1


def test_what_an_export_says_beyond_the_trade_is_kept_on_it(api_client, user, django_capture_on_commit_callbacks):
    name = "coinbase_transactions_current.csv"
    data = (FIXTURES / name).read_bytes()
    parsed = parse_file(data, filename=name)

    _upload(api_client, name, data, django_capture_on_commit_callbacks)

    kept = {t.ext_id: t.raw for t in Trade.objects.filter(user=user).exclude(raw=None)}
    assert parsed.raw and kept == {ext_id: raw for ext_id, raw in parsed.raw.items()}
    trade = Trade.objects.get(user=user, ext_id=next(iter(kept)))
    assert api_client.get(f"/api/trades/{trade.id}").json()["raw"] == kept[trade.ext_id]
