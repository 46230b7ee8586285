"""Export-file parsing speed: rows per second for each supported format, against plain `csv.reader`.

    .venv/bin/python -m benchmarks.parse_speed [--rows 100000] [--repeat 3] [--only NAME …]

Writes a file of ``--rows`` trade rows in each known layout (deterministic values), then times
``parse_file`` over it (best of ``--repeat``). The baseline, measured in the same run on the same bytes, is
decoding plus iterating the rows with the stdlib ``csv.reader`` and nothing else: the ratio says how much
the reading of cells, hashing and validation cost on top of splitting the file. The CPU seconds of this process
are given too, with the load average: on a busy machine they are steadier than wall-clock time (waiting for a
core does not count in them). Prints one JSON document.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apps.trades.parsers import ColumnMapping, parse_file
from benchmarks.common import machine_info, print_json

START = datetime(2024, 1, 1, tzinfo=UTC)
GOAL_ROWS_PER_SECOND = 200_000


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


def binance_statement(rows: int, rng: random.Random) -> bytes:
    lines = ["User_ID,UTC_Time,Account,Operation,Coin,Change,Remark"]
    index = 0
    while len(lines) <= rows:
        ts = (START + timedelta(seconds=index * 30)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        if rng.random() < 0.1 or rows + 1 - len(lines) < 3:  # whole trades only: three legs each
            lines.append(f"41234567,{ts},Spot,Deposit,USDT,{rng.uniform(10, 1000):.8f},")
        elif rng.random() < 0.5:
            lines += [f"41234567,{ts},Spot,Transaction Buy,BTC,{qty:.8f},",
                      f"41234567,{ts},Spot,Transaction Spend,USDT,-{qty * price:.8f},",
                      f"41234567,{ts},Spot,Transaction Fee,BNB,-{qty / 1000:.8f},"]
        else:
            lines += [f"41234567,{ts},Spot,Transaction Sold,BTC,-{qty:.8f},",
                      f"41234567,{ts},Spot,Transaction Revenue,USDT,{qty * price:.8f},",
                      f"41234567,{ts},Spot,Transaction Fee,USDT,-{qty * price / 1000:.8f},"]
        index += 1
    return "\n".join(lines).encode()


def binance_auto_invest(rows: int, rng: random.Random) -> bytes:
    lines = ["Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status"]
    for index in range(rows):
        ts = (START + timedelta(hours=index)).strftime("%Y-%m-%d %H:%M:%S")
        amount = rng.choice([10, 25, 50, 100])
        price = rng.uniform(20_000, 60_000)
        status = "Success" if rng.random() < 0.95 else "Failed"
        lines.append(f"{ts},BTC,{amount:.8f} USDT,{amount / 1000:.8f} USDT,{amount / price:.8f} BTC,Spot Wallet,"
                     f"{status}")
    return "\n".join(lines).encode()


def binance_buy_crypto(rows: int, rng: random.Random) -> bytes:
    lines = ["Date(UTC),Method,Amount,Price,Fees,Final Amount,Status,Transaction ID"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        amount = rng.choice([50, 100, 200, 500])
        fee = amount * rng.choice([0.018, 0.02])
        price = rng.uniform(20_000, 60_000)
        status = "Completed" if rng.random() < 0.95 else "Failed"
        lines.append(f"{ts},{rng.choice(['Credit Card', 'Cash Balance'])},{amount:.2f} EUR,{price:.2f} BTC/EUR,"
                     f"{fee:.2f} EUR,{(amount - fee) / price:.8f} BTC,{status},{index:032x}")
    return "\n".join(lines).encode()


def binance_report_spot(rows: int, rng: random.Random) -> bytes:
    lines = ["Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.0001, 0.5)
        price = rng.uniform(20_000, 60_000)
        side = rng.choice(["BUY", "SELL"])
        fee, fee_coin = (f"{qty / 1000:.8f}", "BTC") if side == "BUY" else (f"{qty * price / 1000:.8f}", "USDT")
        lines.append(f"{ts},BTC/USDT,BTC,USDT,{side},{price:.2f},{qty:.5f},{qty * price:.7f},{fee},{fee_coin}")
    return "\n".join(lines).encode()


def binance_orders(rows: int, rng: random.Random) -> bytes:
    lines = ["Date(UTC),OrderNo,Pair,Type,Side,Order Price,Order Amount,Time,Executed,Average Price,Trading total,"
             "Status"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        filled = rng.random() < 0.8
        lines.append(f"{ts},{7_000_000 + index},BTCUSDT,LIMIT,{rng.choice(['BUY', 'SELL'])},{price:.2f},{qty:.6f}BTC,"
                     f"{ts},{qty if filled else 0:.6f}BTC,{price if filled else 0:.2f},"
                     f"{qty * price if filled else 0:.8f}USDT,{'FILLED' if filled else 'CANCELED'}")
    return "\n".join(lines).encode()


def kraken_trades(rows: int, rng: random.Random) -> bytes:
    lines = ['"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc",'
             '"ledgers"']
    for index in range(rows):
        ts = (START + timedelta(seconds=index * 7)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-2]
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        lines.append(f'"T{index:06d}-ABCDE-FGHIJK","O{index:06d}-ABCDE-FGHIJK","XXBTZEUR","{ts}",'
                     f'"{rng.choice(["buy", "sell"])}","limit","{price:.1f}","{qty * price:.5f}",'
                     f'"{qty * price * 0.0026:.5f}","{qty:.8f}","0.00000","",""')
    return "\n".join(lines).encode()


def kraken_ledgers(rows: int, rng: random.Random) -> bytes:
    lines = ['"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"']
    for index in range(rows // 2):
        ts = (START + timedelta(seconds=index * 7)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        lines += [f'"L{index:06d}-AAAAA-AAAAAA","T{index:06d}-ABCDE-FGHIJK","{ts}","trade","","currency","ZEUR",'
                  f'-{qty * price:.4f},{qty * price * 0.0026:.4f},1000.0000',
                  f'"L{index:06d}-BBBBB-BBBBBB","T{index:06d}-ABCDE-FGHIJK","{ts}","trade","","currency","XXBT",'
                  f'{qty:.10f},0.0000000000,1.0000000000']
    return "\n".join(lines).encode()


def bybit_spot(rows: int, rng: random.Random) -> bytes:
    lines = ["Spot Pairs,Order Type,Direction,Filled Value,Filled Price,Filled Quantity,Fees,Transaction ID,Order No.,"
             "Timestamp (UTC)"]
    for index in range(rows):
        ts = START + timedelta(minutes=index)
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        # Bybit pads every amount to 20 decimals with zeros: 49.97342400000000000000.
        lines.append(f"BTCUSDT,LIMIT,{rng.choice(['BUY', 'SELL'])},{qty * price:.8f}000000000000,{price:.2f}"
                     f"000000000000000000,{qty:.8f}000000000000,{qty / 1000:.8f}000000000000,"
                     f"{2_200_000_000_000_000_000 + index},{1_850_000_000 + index},{ts:%H:%M %Y-%m-%d}")
    return "\n".join(lines).encode()


def kucoin_spot(rows: int, rng: random.Random) -> bytes:
    lines = ["UID,Account Type,Order ID,Order Time(UTC),Symbol,Side,Order Type,Order Price,Order Amount,"
             "Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled Time(UTC),Fee,Fee Currency,Tax,"
             "Status"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        lines.append(f"****1234,mainAccount,6650a1b2c3d4e5f6{index:08x},{ts},BTC-USDT,{rng.choice(['BUY', 'SELL'])},"
                     f"LIMIT,{price:.1f},{qty:.8f},{price:.1f},{qty:.8f},{qty * price:.8f},{qty * price:.8f},{ts},"
                     f"{qty * price / 1000:.8f},USDT,,deal")
    return "\n".join(lines).encode()


def okx_history(rows: int, rng: random.Random) -> bytes:
    lines = ["UID:521234567890123456,Account Type:Main,Time Zone:UTC+8",
             "id,Order id,Time,Trade Type,Symbol,Action,Amount,Trading Unit,Filled Price,PnL,Fee,Fee Unit,"
             "Position Change,Position Balance,Balance Change,Balance,Balance Unit"]
    for index in range(rows // 2):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%d %H:%M:%S")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        lines += [f"{2 * index},{900_000 + index},{ts},Spot,BTC-USDT,Buy,{qty:.8f},BTC,{price:.1f},0,"
                  f"-{qty / 1000:.8f},BTC,0,0,{qty * 0.999:.8f},1,BTC",
                  f"{2 * index + 1},{900_000 + index},{ts},Spot,BTC-USDT,Sell,{qty * price:.8f},BTC,{price:.1f},0,0,"
                  f"USDT,0,0,-{qty * price:.8f},1000,USDT"]
    return "\n".join(lines).encode()


GENERIC_MAPPING = ColumnMapping(timestamp="When", symbol="Market", base=None, quote=None, side="Side", qty="Quantity",
                                price="Price", fee="Fee", fee_asset="Fee Asset", ext_id="Id")


def generic(rows: int, rng: random.Random) -> bytes:
    lines = ["Id,When,Market,Side,Quantity,Price,Fee,Fee Asset"]
    for index in range(rows):
        ts = (START + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        qty = rng.uniform(0.001, 1)
        price = rng.uniform(20_000, 60_000)
        lines.append(f"G-{index},{ts},BTC/EUR,{rng.choice(['buy', 'sell'])},{qty:.8f},{price:.2f},"
                     f"{qty * price / 1000:.8f},EUR")
    return "\n".join(lines).encode()


FORMATS: dict[str, Callable[[int, random.Random], bytes]] = {
    "coinbase_transactions": coinbase_transactions,
    "coinbase_pro_fills": coinbase_pro_fills,
    "binance_transaction_history": binance_statement,
    "binance_spot_trade_history": binance_spot,
    "binance_spot_trade_history_report": binance_report_spot,
    "binance_order_history": binance_orders,
    "binance_auto_invest": binance_auto_invest,
    "binance_buy_crypto": binance_buy_crypto,
    "binance_trade_history_old": binance_old,
    "kraken_trades": kraken_trades,
    "kraken_ledgers": kraken_ledgers,
    "bybit_spot_trades": bybit_spot,
    "kucoin_spot_trades": kucoin_spot,
    "okx_trading_history": okx_history,
    "generic": generic,
}
MAPPINGS = {"generic": GENERIC_MAPPING}


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, float]:
    """The best wall-clock and the best CPU seconds (this process only) of `repeat` runs. On a shared, busy machine
    the CPU figure is the steadier one: waiting for a core does not count in it."""
    best = best_cpu = float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        best = min(best, time.perf_counter() - started)
    return best, best_cpu


def csv_only(data: bytes) -> int:
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def run(rows: int, repeat: int, only: list[str] | None = None) -> dict:
    results = {}
    for name, build in FORMATS.items():
        if only and name not in only:
            continue
        data = build(rows, random.Random(42))
        mapping = MAPPINGS.get(name)
        parsed = parse_file(data, mapping=mapping)
        assert parsed.format == name and parsed.total_rows == rows and not parsed.errors, name
        parse_seconds, parse_cpu = best_of(repeat, lambda data=data, mapping=mapping: parse_file(data, mapping=mapping))
        baseline_seconds, baseline_cpu = best_of(repeat, lambda data=data: csv_only(data))
        results[name] = {
            "rows": rows,
            "bytes": len(data),
            "trades": len(parsed.trades),
            "parseSeconds": round(parse_seconds, 6),
            "rowsPerSecond": round(rows / parse_seconds),
            "meetsGoal": rows / parse_seconds >= GOAL_ROWS_PER_SECOND,
            "csvReaderSeconds": round(baseline_seconds, 6),
            "ratioToCsvReader": round(parse_seconds / baseline_seconds, 1),
            "parseCpuSeconds": round(parse_cpu, 6),
            "rowsPerCpuSecond": round(rows / parse_cpu) if parse_cpu else None,
            "cpuRatioToCsvReader": round(parse_cpu / baseline_cpu, 1) if baseline_cpu else None,
        }
    return {"benchmark": "parse_speed", "repeat": repeat, "goalRowsPerSecond": GOAL_ROWS_PER_SECOND,
            "machine": machine_info(), "loadAverage": _load_average(), "formats": results}


def _load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(FORMATS), help="measure only these formats")
    arguments = parser.parse_args(argv)
    print_json(run(arguments.rows, arguments.repeat, arguments.only))


if __name__ == "__main__":
    main()
