"""Reflections say what actually fired: the path of two-way labels, the nearest miss of NONE, and habits that
rotate so consecutive reflections of one label differ."""
from __future__ import annotations

from datetime import timedelta

from apps.bias.engine import score_trades
from apps.bias.engine.reflections import HABITS, NOTHING_CLOSE, template_reflection

from .markets import START, Book
from .scenarios import fomo_near_miss_move, overtrading

BTC, ETH = "BTC-USD", "ETH-USD"


def at(day: int, hour: int, minute: int = 0):
    return START + timedelta(days=day, hours=hour, minutes=minute)


def tag_of(result, trade_id, label=None):
    return next(t for t in result.tags if t.trade_id == trade_id and (label is None or t.label == label))


def habit_of(text: str) -> str:
    return text.split(". ", 1)[1]


def usual_days(book: Book, days: int = 10) -> None:
    """One 100-unit entry a day: a usual day is 1 trade and 100 traded."""
    for day in range(days):
        book.add(f"usual-{day}", BTC, "BUY", 1, 100, at(day, 10))


def test_overtrading_by_amount_speaks_of_the_amount_not_the_count():
    book = Book()
    usual_days(book)
    for k in range(3):
        book.add(f"big-{k}", BTC, "BUY", 2, 100, at(10, 9 + k))
    tag = tag_of(score_trades(trades=book.trades, candles={}), "big-2", "OVERTRADING")
    assert tag.features["score"]["path"] == ["turnover_vs_baseline", "trades_today_min"]
    text = template_reflection(label="OVERTRADING", features=tag.features, tone="supportive").text
    assert text.startswith("The amount you traded today reached 6.0x your usual day, over 3 trades")
    assert "trade number" not in text


def test_overtrading_by_count_speaks_of_the_count():
    book = Book()
    usual_days(book)
    for k in range(6):
        book.add(f"small-{k}", BTC, "BUY", "0.1", 100, at(10, 9 + k))
    tag = tag_of(score_trades(trades=book.trades, candles={}), "small-5", "OVERTRADING")
    assert tag.features["score"]["path"] == ["trades_today"]
    text = template_reflection(label="OVERTRADING", features=tag.features, tone="strict").text
    assert text.startswith("This was trade number 6 today, against your usual 1 a day")


def losing_exit(book: Book) -> None:
    book.add("b", BTC, "BUY", 1, 100, at(0, 9))
    book.add("s", BTC, "SELL", 1, 95, at(0, 10))  # −5 %


def test_revenge_in_the_same_market_speaks_of_the_market():
    book = Book()
    losing_exit(book)
    book.add("again", BTC, "BUY", "0.5", 95, at(0, 11))  # smaller, same market
    tag = tag_of(score_trades(trades=book.trades, candles={}), "again", "REVENGE")
    assert tag.features["score"]["path"] == ["previous_exit_loss", "hours_since_loss", "same_symbol"]
    text = template_reflection(label="REVENGE", features=tag.features, tone="supportive").text
    assert text.startswith("You went straight back into the same market 1.0 hours after a losing exit there,")
    assert "size" not in text.split(". ")[0]


def test_revenge_by_size_speaks_of_the_size():
    book = Book()
    losing_exit(book)
    book.add("bigger", ETH, "BUY", 2, 100, at(0, 11))  # 2× the losing position, another market
    tag = tag_of(score_trades(trades=book.trades, candles={}), "bigger", "REVENGE")
    assert tag.features["score"]["path"] == ["previous_exit_loss", "hours_since_loss", "size_vs_lost_position"]
    text = template_reflection(label="REVENGE", features=tag.features, tone="strict").text
    assert text.startswith("You re-entered 1.0 hours after a losing exit, at 2.0x the size of that position")


def test_none_names_the_nearest_miss_with_its_numbers():
    scenario = fomo_near_miss_move()
    result = score_trades(trades=scenario.book.trades, candles=scenario.candles, target_ids={"fomo-7.9"})
    tag = tag_of(result, "fomo-7.9", "NONE")
    conditions = {c["name"]: c for c in tag.features["conditions"]}
    move, rsi, bb = (conditions[n]["value"] for n in ("pct_change_24h_before", "RSI_14", "BB_pos"))
    text = template_reflection(label="NONE", features=tag.features, tone="supportive").text
    assert text.startswith(
        f"This trade came closest to FOMO: RSI(14) was {rsi:.1f} (line: at least 70.0) and %B was {bb:.2f} "
        f"(line: at least 0.80), but the 24-hour move was {move * 100:+.1f}% (line: at least +8.0%)")
    assert "nothing to correct" not in text


def test_nothing_to_correct_only_when_no_label_came_close():
    book = Book()
    book.add("lonely-sale", BTC, "SELL", 1, 100, at(0, 9))  # no buy, no candles: nothing can fire
    tag = tag_of(score_trades(trades=book.trades, candles={}), "lonely-sale", "NONE")
    assert all(m["share_fired"] == 0 for m in tag.features["near_misses"])
    texts = {template_reflection(label="NONE", features={**tag.features, "history": {"occurrence": k}},
                                 tone="supportive").text for k in range(2)}
    assert all(text.startswith(NOTHING_CLOSE) for text in texts)
    assert any("nothing to correct" in text for text in texts)


def test_consecutive_reflections_of_a_label_never_repeat_a_habit():
    scenario = overtrading(seed=3)
    result = score_trades(trades=scenario.book.trades, candles=scenario.candles)
    burst = [tag_of(result, f"burst-{k}", "OVERTRADING") for k in range(6, 11)]
    occurrences = [t.features["history"]["occurrence"] for t in burst]
    assert occurrences == list(range(occurrences[0], occurrences[0] + 5))
    for tone in ("supportive", "strict"):
        habits = [habit_of(template_reflection(label="OVERTRADING", features=t.features, tone=tone).text) for t in burst]
        assert sorted(habits) == sorted(HABITS["OVERTRADING"][tone])  # five in a row, five different habits


def test_the_occurrence_count_does_not_depend_on_which_trades_are_scored():
    scenario = overtrading(seed=3)
    everything = score_trades(trades=scenario.book.trades, candles=scenario.candles)
    only_last = score_trades(trades=scenario.book.trades, candles=scenario.candles, target_ids={"burst-10"})
    assert (tag_of(only_last, "burst-10").features["history"]["occurrence"]
            == tag_of(everything, "burst-10").features["history"]["occurrence"])
    nones = [t for t in everything.tags if t.label == "NONE"]
    assert [t.features["history"]["occurrence"] for t in nones] == list(range(len(nones)))


def test_overtrading_on_a_first_trading_day_names_the_minimum_not_a_multiple_of_nothing():
    book = Book()
    for k in range(6):
        book.add(f"first-{k}", BTC, "BUY", "0.1", 100, at(0, 9 + k))
    tag = tag_of(score_trades(trades=book.trades, candles={}), "first-5", "OVERTRADING")
    explain = " ".join(str(c.get("explain", "")) for c in tag.features["conditions"] if c["name"] == "trades_today")
    assert "the line is 5 (the minimum of 5, with no earlier trading days to compare with)" in explain
    assert "× no earlier" not in explain
    book = Book()
    usual_days(book)
    for k in range(6):
        book.add(f"small-{k}", BTC, "BUY", "0.1", 100, at(10, 9 + k))
    tag = tag_of(score_trades(trades=book.trades, candles={}), "small-5", "OVERTRADING")
    explain = " ".join(str(c.get("explain", "")) for c in tag.features["conditions"] if c["name"] == "trades_today")
    assert "× your usual 1 per active day over the previous 30 days, at least 5)" in explain
