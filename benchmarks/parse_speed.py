"""Export-file parsing speed: rows per second for each supported format, against plain `csv.reader`.

    .venv/bin/python -m benchmarks.parse_speed [--rows 10000] [--repeat 3]

Writes a file of ``--rows`` trade rows in each known layout (deterministic values), then times
``parse_file`` over it (best of ``--repeat``). The baseline, measured in the same run on the same bytes, is
decoding plus iterating the rows with the stdlib ``csv.reader`` and nothing else: the ratio says how much
the reading of cells, hashing and validation cost on top of splitting the file. Prints one JSON document.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apps.trades.parsers import parse_file
from benchmarks.common import machine_info, print_json

START = datetime(2024, 1, 1, tzinfo=UTC)


def coinbase_transactions(rows: int, rng: random.Random) -> bytes:
    lines = ["Transactions", "User,Jane Doe,6f0a1b2c",
             "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,"
             "Total (inclusive of fees and/or spread),Fees and/or Spread,Notes"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S UTC")
        kind = rng.choice(["Buy", "Sell", "Advanced Trade Buy", "Send", "Staking Income"])
        qty = rng.uniform(0.0001, 2)
        price = rng.uniform(100, 100_000)
        lines.append(f"{index:024x},{ts},{kind},BTC,{qty:.8f},EUR,€{price:.2f},€{qty * price:.2f},"
                     f"€{qty * price * 1.01:.2f},€{qty * price * 0.01:.2f},")
    return "\n".join(lines).encode()


def binance_spot(rows: int, rng: random.Random) -> bytes:
    lines = ["\ufeffDate(UTC),Pair,Side,Price,Executed,Amount,Fee"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(1, 5000)
        price = rng.uniform(0.05, 0.5)
        side = rng.choice(["BUY", "SELL"])
        lines.append(f'{ts},DOGEUSDT,{side},{price:.5f},{qty:.2f}DOGE,"{qty * price:,.8f}USDT",{qty / 1000:.8f}DOGE')
    return "\n".join(lines).encode()


def binance_old(rows: int, rng: random.Random) -> bytes:
    lines = ["Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.01, 10)
        price = rng.uniform(0.001, 0.01)
        lines.append(f"{ts};BNBBTC;{rng.choice(['BUY', 'SELL'])};{price:.7f};{qty:.2f};{qty * price:.8f};"
                     f"{qty / 1000:.8f};BNB")
    return "\n".join(lines).encode()


def coinbase_pro_fills(rows: int, rng: random.Random) -> bytes:
    lines = ["portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit"]
    for index in range(rows):
        ts = (START + timedelta(seconds=index * 7)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        size = rng.uniform(0.1, 10)
        price = rng.uniform(50, 200)
        lines.append(f"default,{1_000_000 + index},LTC-EUR,{rng.choice(['BUY', 'SELL'])},{ts},{size:.8f},LTC,"
                     f"{price:.2f},{size * price * 0.0025:.16f},{-size * price:.16f},EUR")
    return "\n".join(lines).encode()


FORMATS: dict[str, Callable[[int, random.Random], bytes]] = {
    "coinbase_transactions": coinbase_transactions,
    "coinbase_pro_fills": coinbase_pro_fills,
    "binance_spot_trade_history": binance_spot,
    "binance_trade_history_old": binance_old,
}


def best_of(repeat: int, function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def csv_only(data: bytes) -> int:
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def run(rows: int, repeat: int) -> dict:
    results = {}
    for name, build in FORMATS.items():
        data = build(rows, random.Random(42))
        parsed = parse_file(data)
        assert parsed.format == name and parsed.total_rows == rows and not parsed.errors, name
        parse_seconds = best_of(repeat, lambda data=data: parse_file(data))
        baseline_seconds = best_of(repeat, lambda data=data: csv_only(data))
        results[name] = {
            "rows": rows,
            "bytes": len(data),
            "trades": len(parsed.trades),
            "parseSeconds": round(parse_seconds, 6),
            "rowsPerSecond": round(rows / parse_seconds),
            "csvReaderSeconds": round(baseline_seconds, 6),
            "ratioToCsvReader": round(parse_seconds / baseline_seconds, 1),
        }
    return {"benchmark": "parse_speed", "repeat": repeat, "machine": machine_info(), "formats": results}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args(argv)
    print_json(run(arguments.rows, arguments.repeat))


if __name__ == "__main__":
    main()
