"""Digest endpoints and pages: the user's own digests only, newest first, 404 for anything else."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.accounts.models import Audit
from apps.core.jobs import JobStatus
from apps.digest.models import Digest
from apps.digest.periods import week_parse

pytestmark = pytest.mark.django_db


def stored(user, label: str, *, built: bool = True, **payload) -> Digest:
    week = week_parse(value=label, zone="UTC")
    return Digest.objects.create(
        user=user, period_start=week.start, period_end=week.end, week=label,
        payload={"week": label, "trades": 0, "narrative": {"text": f"Narrative of {label}."},
                 "suggestion": {"text": "Keep a plan."}, **payload},
        status=JobStatus.DONE if built else JobStatus.QUEUED, built_at=week.end if built else None)


def test_latest_is_404_no_digest_when_there_is_none(api_client, user):
    stored(user, "2026-W47", built=False)  # queued, no payload yet

    response = api_client.get("/api/digests/weekly/latest")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_digest"


def test_latest_is_the_newest_built_week(api_client, user, other_user):
    stored(user, "2026-W45")
    newest = stored(user, "2026-W46")
    stored(user, "2026-W47", built=False)
    stored(other_user, "2026-W48")

    response = api_client.get("/api/digests/weekly/latest")

    body = response.json()
    assert response.status_code == 200
    assert (body["id"], body["week"], body["userId"], body["timezone"]) == (newest.id, "2026-W46", user.id, "UTC")
    assert (body["periodStart"], body["periodEnd"], body["deliveredAt"]) == (
        "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z", None)
    assert body["payload"]["narrative"]["text"] == "Narrative of 2026-W46."


def test_the_list_pages_newest_first_with_a_cursor(api_client, user, other_user):
    ids = [stored(user, f"2026-W{n:02d}").id for n in range(40, 45)]
    stored(other_user, "2026-W46")

    first = api_client.get("/api/digests", {"limit": 2}).json()
    second = api_client.get("/api/digests", {"limit": 2, "cursor": first["nextCursor"]}).json()
    third = api_client.get("/api/digests", {"limit": 2, "cursor": second["nextCursor"]}).json()

    assert [d["id"] for d in first["results"] + second["results"] + third["results"]] == ids[::-1]
    assert third["nextCursor"] is None


def test_a_bad_cursor_is_a_400(api_client):
    response = api_client.get("/api/digests", {"cursor": "not-a-cursor"})

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"


def test_another_users_digest_is_404(api_client, other_user):
    theirs = stored(other_user, "2026-W47")

    assert api_client.get(f"/api/digests/{theirs.id}").status_code == 404
    assert api_client.get(f"/digest/{theirs.id}/").status_code == 404


def test_anonymous_requests_are_refused():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/digests/weekly/latest").status_code in (401, 403)


def test_the_page_shows_the_latest_card_and_the_history(client, user):
    client.force_login(user)
    stored(user, "2026-W46")
    stored(user, "2026-W47", trades=2, labels={"FOMO": 2}, pnlByLabel={"FOMO": {"USD": "-12.5"}},
           streaks=[{"kind": "maxTradesPerDay", "currentDays": 3, "bestDays": 5, "brokenOn": ["2026-11-18"]}])

    html = client.get("/digest/").content.decode()

    assert "Your week · 2026-W47" in html and "Narrative of 2026-W47." in html
    assert '<meter min="0" max="2" value="2">' in html and "-12.5 USD" in html
    assert "Daily trade limit" in html and "2026-11-18" in html
    assert html.count('href="/digest/') >= 2  # the history links both weeks


def test_the_page_without_digests_explains_when_the_first_arrives(client, user):
    client.force_login(user)

    response = client.get("/digest/")

    assert response.status_code == 200 and "Your first digest arrives" in response.content.decode()


def test_the_account_form_sets_time_zone_and_email_opt_out(client, user):
    client.force_login(user)

    response = client.post("/account/digest", {"timezone": "Asia/Tokyo"})

    user.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/account/#account-digest"
    assert (user.timezone, user.digest_email) == ("Asia/Tokyo", False)
    assert 'value="Asia/Tokyo"' in client.get("/account/").content.decode()


def test_the_account_form_refuses_an_unknown_zone_and_writes_nothing(client, user):
    client.force_login(user)

    response = client.post("/account/digest", {"timezone": "Atlantis/Capital", "digest_email": "1"}, follow=True)

    user.refresh_from_db()
    assert user.timezone == "UTC" and user.digest_email is True
    assert not Audit.objects.filter(user=user, action="preferences_changed").exists()
    assert "IANA time zone" in response.content.decode()


def test_build_digests_command_builds_one_users_week(user, other_user, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("build_digests", "--week", "2026-W47", "--user", user.email.upper())

    digest = Digest.objects.get()
    assert (digest.user_id, digest.week, digest.status) == (user.id, "2026-W47", JobStatus.DONE)
    assert "1 digest(s) built." in capsys.readouterr().out


def test_build_digests_command_refuses_a_bad_week(user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ISO week"):
        call_command("build_digests", "--week", "47")
    assert Digest.objects.count() == 0


def test_list_and_page_run_a_fixed_number_of_queries(api_client, client, user, django_assert_max_num_queries):
    for n in range(30, 52):
        stored(user, f"2026-W{n:02d}")
    client.force_login(user)

    with django_assert_max_num_queries(4):
        assert api_client.get("/api/digests", {"limit": 100}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/digest/").status_code == 200


def test_every_page_loads_the_digest_script_and_the_dashboard_has_the_latest_card(client, user):
    client.force_login(user)

    html = client.get("/dashboard/").content.decode()

    assert 'id="digest-latest"' in html and "js/digest.js" in html and 'href="/digest/"' in html
