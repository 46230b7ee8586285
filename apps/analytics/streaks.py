"""Longest winning and losing runs of closed positions per quote currency, found by the database."""
from __future__ import annotations

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, Value, When

WIN = Q(realized_pnl__gt=0)
LOSS = Q(realized_pnl__lt=0)


STREAKS_SQL = """
SELECT quote, outcome, MAX(length) FROM (
    SELECT quote, outcome, COUNT(*) AS length FROM (
        SELECT quote, outcome,
               SUM(changed) OVER (PARTITION BY quote ORDER BY exit_ts, trade_id ROWS UNBOUNDED PRECEDING) AS run
        FROM (
            SELECT quote, outcome, exit_ts, trade_id,
                   CASE WHEN outcome = LAG(outcome) OVER (PARTITION BY quote ORDER BY exit_ts, trade_id)
                        THEN 0 ELSE 1 END AS changed
            FROM ({positions}) AS positions
        ) AS marked
    ) AS numbered
    WHERE outcome <> 0
    GROUP BY quote, outcome, run
) AS runs
GROUP BY quote, outcome
"""


def streaks(positions) -> dict[str, tuple[int, int]]:
    """Longest runs of winning and of losing closed positions per quote, in exit time order (a break-even
    exit ends both): runs found in the database — each exit whose outcome differs from the one before starts
    a run, a running sum numbers the runs, and both windows share one sort."""
    rows = positions.annotate(
        outcome=Case(When(WIN, then=Value(1)), When(LOSS, then=Value(-1)), default=Value(0),
                     output_field=IntegerField()),
        exit_ts=F("ts")).values("quote", "outcome", "exit_ts", "trade_id").order_by()
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(STREAKS_SQL.format(positions=sql), params)
        found = cursor.fetchall()
    out: dict[str, tuple[int, int]] = {}
    for quote, outcome, length in found:
        wins, losses = out.get(quote, (0, 0))
        out[quote] = (length, losses) if outcome == 1 else (wins, length)
    return out


# --- the same runs summed per day, folded in Python (what the read model stores) -------------------------

def day_runs(signs: list[int]) -> tuple[int, int, int, int, int, int, int]:
    """One day's exit outcomes in order (1 win, -1 loss, 0 break-even) → (exits, first sign, first run,
    last sign, last run, longest winning run, longest losing run) within the day."""
    runs: list[list[int]] = []
    for sign in signs:
        if runs and runs[-1][0] == sign:
            runs[-1][1] += 1
        else:
            runs.append([sign, 1])
    longest = {1: 0, -1: 0, 0: 0}
    for sign, length in runs:
        longest[sign] = max(longest[sign], length)
    return len(signs), runs[0][0], runs[0][1], runs[-1][0], runs[-1][1], longest[1], longest[-1]


def fold_days(days) -> tuple[int, int]:
    """Day summaries of one quote in day order (rows of `day_runs`) → (longest winning run, longest losing
    run) over all of them: a run that ends a day goes on into the next day's first run."""
    best = {1: 0, -1: 0, 0: 0}
    sign, length = 0, 0
    for exits, first_sign, first_run, last_sign, last_run, longest_win, longest_loss in days:
        joined = length + first_run if first_sign == sign else first_run
        best[first_sign] = max(best[first_sign], joined)
        best[1], best[-1] = max(best[1], longest_win), max(best[-1], longest_loss)
        if first_run == exits:  # one run all day: it may go on tomorrow
            sign, length = first_sign, joined
        else:
            sign, length = last_sign, last_run
    return best[1], best[-1]
