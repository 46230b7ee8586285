"""What the trades app lets higher apps plug in, without trades ever importing them.

    from apps.trades.hooks import ImportFinished, on_import_finished

    @on_import_finished
    def score_what_it_stored(event: ImportFinished) -> None: ...

A hook runs inside the transaction that gives an import its final state (done, failed or parked), once
per final state, so what it writes (e.g. a scoring run row) commits with that state or not at all.
Register in your AppConfig.ready().
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImportFinished:
    job_id: str
    user_id: str
    status: str  # done | failed | parked
    inserted: int  # trades this job stored, over all its runs


_import_finished: list[Callable[[ImportFinished], None]] = []


def on_import_finished(hook: Callable[[ImportFinished], None]) -> Callable[[ImportFinished], None]:
    if hook not in _import_finished:
        _import_finished.append(hook)
    return hook


def import_finished_notify(event: ImportFinished) -> None:
    for hook in list(_import_finished):
        hook(event)
