"""First in, first out: what a sale takes from the open lots, shared by every place that matches lots."""
from __future__ import annotations

from collections import deque
from decimal import Decimal


def fifo_take(lots: deque, qty: Decimal) -> tuple[list[tuple], Decimal]:
    """Take `qty` from `lots` (``[item, open quantity]`` lists, oldest first; emptied lots are dropped).
    -> ([(item, quantity taken), …], the quantity no lot was left to cover)."""
    takes = []
    remaining = qty
    while remaining > 0 and lots:
        lot = lots[0]
        take = min(remaining, lot[1])
        takes.append((lot[0], take))
        lot[1] -= take
        remaining -= take
        if lot[1] <= 0:
            lots.popleft()
    return takes, remaining
