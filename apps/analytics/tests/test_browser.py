"""The performance page and the export card in Chromium against the real ASGI server, on seeded trades."""
from __future__ import annotations

from datetime import timedelta

import pytest

from apps.core.testing import in_chromium
from apps.events.testing import session_cookie_for
from apps.trades.models import Trade

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_performance_page_and_export(chromium_path, live_asgi_server, user, book, tmp_path):
    name, value = session_cookie_for(user).split("=", 1)
    base = live_asgi_server
    day1 = book.date().isoformat()
    sell_id = Trade.objects.get(user=user, symbol="BTC-USD", side="SELL", ts=book + timedelta(hours=3)).id

    def steps(browser) -> dict:
        from playwright.sync_api import expect

        context = browser.new_context(base_url=base)
        context.add_cookies([{"name": name, "value": value, "url": base}])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        failed: list[str] = []  # API answers that were not 2xx, to explain a failure below
        page.on("response", lambda r: failed.append(f"{r.status} {r.request.method} {r.url}")
                if "/api/" in r.url and r.status >= 400 else None)
        try:
            page.goto("/analytics/")
            expect(page.locator("#analytics")).to_have_attribute("data-loaded", "1", timeout=15000)
            seen = {"quotes": page.locator("#analytics-quote option").all_inner_texts()}
            expect(page.locator("#summary-table")).to_contain_text("Win rate")
            seen["summary_eur"] = page.locator("#summary-table").inner_text()
            page.select_option("#analytics-quote", "USD")
            expect(page.locator("#summary-table")).to_contain_text("50.0%")
            seen["summary_usd"] = page.locator("#summary-table").inner_text()
            expect(page.locator("#equity-chart")).to_have_attribute("data-rendered", "1")
            expect(page.locator("#equity-chart canvas").first).to_be_visible()
            seen["equity_rows"] = page.locator("#equity-table tbody tr").count()
            seen["days"] = page.locator("#calendar .day").count()
            page.locator("#calendar .day").first.click()
            expect(page.locator("#calendar-day h3")).to_have_text(f"Trades on {day1}", timeout=10000)
            seen["day_trades"] = page.locator("#calendar-day table tr").count() - 1
            page.select_option("#breakdown-by", "weekday")
            expect(page.locator("#breakdown-table tbody tr")).to_have_count(7, timeout=10000)
            seen["bars"] = page.locator("#breakdown-bars .bar-row").count()
            seen["excursion_rows"] = page.locator("#excursions-table tbody tr").count()
            seen["scatter_points"] = page.locator("#excursions-chart circle").count()
            page.select_option("#analytics-currency", "USD")
            page.click("#analytics-filters button[type=submit]")
            expect(page.locator("#reporting")).to_be_visible(timeout=10000)
            seen["reporting"] = page.locator("#reporting-table").inner_text()
            page.select_option("#analytics-currency", "")
            page.fill("input[name=symbol]", "ETH-EUR")
            page.click("#analytics-filters button[type=submit]")
            expect(page.locator("#analytics-quote option")).to_have_count(1, timeout=10000)

            page.goto(f"/trades/{sell_id}/")
            expect(page.locator("#trade-excursion")).to_have_attribute("data-loaded", "1", timeout=10000)
            seen["trade_excursion"] = page.locator("#trade-excursion-text").inner_text()

            page.goto("/account/")
            page.click("#export-start")
            expect(page.locator("#export-link")).to_be_visible(timeout=30000)
            with page.expect_download() as download:
                page.click("#export-link")
            seen["download"] = download.value.suggested_filename
            page.click("#delete-open")
            expect(page.locator("#delete-losses li").first).not_to_have_text("Counting …", timeout=10000)
            seen["losses"] = page.locator("#delete-losses").inner_text()
            seen["problems"] = problems
            return seen
        except AssertionError as exc:
            log = (tmp_path / "daphne.log").read_text()[-3000:] if (tmp_path / "daphne.log").exists() else ""
            raise AssertionError(f"{exc}\nconsole: {problems}\nfailed API answers: {failed}\nserver log: {log}") from exc
        finally:
            context.close()

    seen = in_chromium(chromium_path, steps)
    assert seen["problems"] == []
    assert seen["quotes"] == ["EUR", "USD"]
    assert "188" in seen["summary_eur"] and "100.0%" in seen["summary_eur"]
    assert "213.50 USD" in seen["summary_usd"] and "6.85" in seen["summary_usd"]
    assert seen["equity_rows"] == 2 and seen["days"] == 2
    assert seen["day_trades"] == 7  # every trade of the first day, buys included
    assert seen["bars"] == 7
    assert seen["excursion_rows"] == 4 and seen["scatter_points"] == 4  # the stub's candles cover every USD hold
    assert "USD" in seen["reporting"] and "same currency" in seen["reporting"]
    assert "best moment (MFE)" in seen["trade_excursion"] and "realised 245.00 USD" in seen["trade_excursion"]
    assert seen["download"].startswith("twin-export-") and seen["download"].endswith(".zip")
    assert "10 trades" in seen["losses"] or "10 Trades" in seen["losses"]
