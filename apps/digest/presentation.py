"""Display rows for the digest card (page, dashboard, email) from a stored payload."""
from __future__ import annotations

RULE_NAMES = {"avoidSpikeOverPct": "No chasing spikes", "minHoldHours": "Minimum holding time",
              "maxTradesPerDay": "Daily trade limit", "cooldownAfterLosses": "Cooldown after losses"}


def _signed(value: str | None) -> str:
    if value is None:
        return "—"
    return value if value.startswith("-") or value == "0" else f"+{value}"


def _money(per_quote: dict | None) -> str:
    if not per_quote:
        return "—"
    return ", ".join(f"{_signed(v)} {q}" for q, v in sorted(per_quote.items()))


def card_context(payload: dict) -> dict:
    """Template-ready pieces of one digest payload (archived or trimmed payloads render as empty)."""
    labels = payload.get("labels") or {}
    top = max(labels.values(), default=0)
    pnl_by_label = payload.get("pnlByLabel") or {}
    disposition = payload.get("disposition")
    win_rate = payload.get("winRate")
    return {
        "week": payload.get("week", ""),
        "trades": payload.get("trades", 0),
        "has_trades": bool(payload.get("trades")),
        "label_rows": [{"label": label, "count": count, "max": top, "css": label.lower()}
                       for label, count in sorted(labels.items(), key=lambda item: (-item[1], item[0]))],
        "pnl_rows": [{"label": label, "amounts": [{"quote": q, "value": _signed(v)} for q, v in sorted(per.items())]}
                     for label, per in sorted(pnl_by_label.items())],
        "realized": _money(payload.get("realizedPnl")),
        "closed": payload.get("closedTrades", 0),
        "wins": payload.get("winningTrades", 0),
        "win_rate": None if win_rate is None else f"{win_rate * 100:.0f}%",
        "streaks": [{**streak, "name": RULE_NAMES.get(streak["kind"], streak["kind"])}
                    for streak in payload.get("streaks") or []],
        "best": payload.get("bestHabit"),
        "best_money": _money({payload["bestHabit"]["quote"]: payload["bestHabit"]["pnl"]}) if payload.get("bestHabit") else "",
        "worst": payload.get("worstHabit"),
        "worst_money": _money({payload["worstHabit"]["quote"]: payload["worstHabit"]["pnl"]}) if payload.get("worstHabit") else "",
        "suggestion": (payload.get("suggestion") or {}).get("text", ""),
        "narrative": (payload.get("narrative") or {}).get("text", ""),
        "disposition": None if not disposition else {
            "pgr": "n/a" if disposition.get("pgr") is None else f"{disposition['pgr'] * 100:.1f}%",
            "plr": "n/a" if disposition.get("plr") is None else f"{disposition['plr'] * 100:.1f}%",
            "effect": "n/a" if disposition.get("effect") is None else f"{disposition['effect']:+.3f}",
            "counts": disposition.get("counts") or {}},
        "trades_change": (payload.get("vsPreviousWeek") or {}).get("trades"),
    }
