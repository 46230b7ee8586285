"""Coinbase exports: the app's Transaction history (every header version) and Coinbase Pro/Exchange fills
and account statements."""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import compress, repeat

from apps.brokers.types import TradeDTO

from . import columns as column_readers
from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .table import Table, column_index
from .values import (
    _LIMIT,
    CURRENCY_SYMBOLS,
    clean_asset,
    decimal_text,
    divide,
    parse_decimal,
    parse_money,
    parse_side,
    parse_timestamp,
    positive,
    quote_of,
    read_decimal,
    read_money,
    read_time,
    split_pair,
    stored,
    symbol_of,
)

BROKER = "coinbase"
_MAX_ID = 128

# --- Transaction history ------------------------------------------------------------------------------

_TRADE_TYPES = {
    "buy": "BUY", "sell": "SELL", "advanced trade buy": "BUY", "advanced trade sell": "SELL",
}
_ZERO = Decimal(0)
_SPREAD_SIGN = {"BUY": Decimal(1), "SELL": Decimal(-1)}
_ADVANCED_NOTE = re.compile(
    r"\bon\s+(?P<base>[A-Z0-9]{1,15})-(?P<quote>[A-Z0-9]{1,15})\s+at\s+[^\d\s]{0,3}"
    r"(?P<price>\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d{1,4})?)\s*(?P<unit>[A-Z0-9]{1,15})?/(?P<per>[A-Z0-9]{1,15})\b"
)


def _index(keys: list[str], pattern: str) -> tuple[int | None, re.Match | None]:
    compiled = re.compile(pattern)
    for index, key in enumerate(keys):
        match = compiled.fullmatch(key)
        if match:
            return index, match
    return None, None


@dataclass(slots=True)
class _HistoryColumns:
    id: int
    timestamp: int
    type: int
    asset: int
    quantity: int
    price: int | None
    price_currency: int
    baked_currency: str
    fees: int
    notes: int
    subtotal: int
    price_name: str = ""
    fees_name: str = ""
    subtotal_name: str = ""


def _history_columns(table: Table) -> _HistoryColumns:
    keys = table.keys
    price, _ = _index(keys, r"(?:spot)?priceattransaction")
    baked = ""
    if price is None:
        price, match = _index(keys, r"([a-z]{3,5})(?:spot)?priceattransaction")
        baked = match[1].upper() if match else ""
    fees, _ = _index(keys, r"(?:fees|fee)(?:and/orspread)?")
    if fees is None:
        fees, _ = _index(keys, r"[a-z]{3,5}(?:fees|fee)(?:and/orspread)?")
    subtotal = _index(keys, r"(?:[a-z]{3,5})?subtotal")[0]
    # Indices into Table.rows() cells: -1 (always empty) for a column the file does not have.
    columns = _HistoryColumns(
        id=column_index(_index(keys, r"id|transactionid")[0]),
        timestamp=column_index(_index(keys, r"timestamp")[0]),
        type=column_index(_index(keys, r"transactiontype")[0]),
        asset=column_index(_index(keys, r"asset")[0]),
        quantity=column_index(_index(keys, r"quantitytransacted")[0]),
        price=price,
        price_currency=column_index(_index(keys, r"(?:spot)?pricecurrency")[0]),
        baked_currency=baked,
        fees=column_index(fees),
        notes=column_index(_index(keys, r"notes")[0]),
        subtotal=column_index(subtotal),
    )
    columns.subtotal_name = table.header[subtotal] if subtotal is not None else "Subtotal"
    columns.price_name = table.header[price] if price is not None else "Price at Transaction"
    columns.fees_name = table.header[fees] if fees is not None else "Fees"
    return columns


def parse_transaction_history(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_transactions", broker=BROKER)
    columns = _history_columns(table)
    identity = RowIdentity("cbtx")
    kinds: dict[str, str] = {}
    assets: dict[str, str] = {}
    currencies: dict[tuple[str, str], str] = {}
    type_at = columns.type

    def kind_of(cell: str) -> str:
        kind = kinds.get(cell)
        if kind is None:
            kind = kinds[cell] = " ".join(cell.split())
        return kind

    def history_row(line: int, cells: list[str]) -> None:
        kind = kind_of(cells[type_at])
        if not kind:
            result.error(line, "Transaction Type is empty")
            return
        side = _TRADE_TYPES.get(kind.lower())
        if side is None and kind.lower() != "convert":
            result.skip(kind[:64])
            return
        try:
            if side is None:
                trade, raw = _convert_trade(cells, columns, identity)
            else:
                trade, raw = _history_trade(cells, columns, side, identity, assets)
            result.add(trade, line, raw)
        except RowProblem as problem:
            result.error(line, problem.reason)

    kind_sides: dict[str, tuple[str, str | None, str]] = {}
    symbols: dict[tuple[str, str], str] = {}

    def kind_side(cell: str) -> tuple[str, str | None, str]:
        """The type, the side of a Buy or Sell (else None), and the kind a skipped row is counted under."""
        kind = kind_of(cell)
        return kind, _TRADE_TYPES.get(kind.lower()), kind[:64]

    def history_block(column: column_readers.Column) -> tuple[list[bool], list[TradeDTO], list[str], list[dict]] | None:
        """Per row whether it is a trade, the trades, the types the other rows are skipped under and the trades'
        raw data; None to read the block row by row. Only plain Buy and Sell rows with an id, a subtotal and a fee
        are read here, column by column."""
        if columns.price is None:
            return None
        read_kinds = column_readers.lookup(column(type_at), kind_sides, kind_side)
        row_sides = column_readers.field(read_kinds, 1)
        every_row = None not in row_sides
        others: list[str] = []
        if every_row:
            picked, sides, is_trade = column, row_sides, [True] * len(row_sides)
        else:
            if any(not kind or kind.lower() == "convert" for kind, side, _ in set(read_kinds) if side is None):
                return None
            is_trade = list(map(bool, row_sides))
            others = column_readers.field(compress(read_kinds, map(operator.not_, is_trade)), 2)
            if not any(is_trade):
                return is_trade, [], others, []
            sides = list(compress(row_sides, is_trade))

            def picked(index: int) -> list[str]:
                return list(compress(column(index), is_trade))

        ids = picked(columns.id)
        if (" on " in "\n".join(column(columns.notes)) and " on " in "\n".join(picked(columns.notes))
                or not column_readers.plain_ids(ids, _MAX_ID)):
            return None
        read = column_readers.times(picked(columns.timestamp), texts=False)
        qtys = column_readers.numbers(picked(columns.quantity), signed=True)
        spots = column_readers.money(picked(columns.price))
        subtotals = column_readers.money(picked(columns.subtotal))
        fees = column_readers.money(picked(columns.fees))
        if (read is None or qtys is None or spots is None or subtotals is None or fees is None
                or not all(qtys[0]) or not all(map(_ZERO.__lt__, spots[0]))):
            return None
        quantities = list(map(Decimal.copy_abs, qtys[0]))
        paid = list(map(Decimal.copy_abs, subtotals[0]))
        prices = column_readers.quotients(paid, quantities)
        # subtotal - qty × spot for a buy, qty × spot - subtotal for a sell (the same value, negated)
        spreads = _spread_texts(paid, quantities, spots[0], sides, _places(subtotals[1]),
                                _places(qtys[1]) + _places(spots[1]))
        if prices is None or spreads is None or not all(map(_ZERO.__lt__, prices)):
            return None
        try:
            read_assets = column_readers.lookup(picked(columns.asset), assets, _asset)
            read_currencies = column_readers.lookup(
                list(zip(picked(columns.price_currency), spots[2], strict=True)), currencies,
                _currency_of)
            read_symbols = column_readers.lookup(list(zip(read_assets, read_currencies, strict=True)), symbols,
                                                 _symbol_of)
        except RowProblem:
            return None
        trades = column_readers.trades(ids, read_symbols, sides, quantities, prices, read[0],
                                       fees[0] if "-" not in "".join(fees[1]) else
                                       [-fee if fee < 0 else fee for fee in fees[0]], read_currencies,
                                       read_currencies)
        raws = [{"spotPrice": spot, "priceSource": "subtotal", "subtotal": subtotal, "spread": spread}
                for spot, subtotal, spread in zip(spots[1], map(str.lstrip, subtotals[1], repeat("-")),
                                                  spreads, strict=True)]
        return is_trade, trades, others, raws

    def _asset(cell: str) -> str:
        return clean_asset(cell, what="Asset")

    def _currency_of(key: tuple[str, str]) -> str:
        return _currency_cell(key[0], columns, key[1])

    def _symbol_of(pair: tuple[str, str]) -> str:
        return symbol_of(*pair)

    for lines, column, rows, problems in column_readers.blocks(table):
        for line, problem in problems:
            result.error(line, problem)
        read_block = history_block(column) if lines else ([], [], [], [])
        if read_block is not None:
            result.add_picked(lines, *read_block)
            continue
        for line, cells in zip(lines, rows(), strict=True):
            history_row(line, cells)
    result.total_rows = table.row_count
    return result.build()


def _places(texts: list[str]) -> int:
    """At most how many decimal places the canonical number texts have (at least one digit precedes a dot)."""
    longest = max(map(len, texts), default=0)
    return max(longest - 2, 0) if "." in "".join(texts) else 0


def _spread_texts(paid: list[Decimal], quantities: list[Decimal], spots: list[Decimal], sides: list[str],
                  paid_places: int, product_places: int) -> list[str] | None:
    """decimal_text(values.stored((subtotal - qty × spot) × sign)) for each row; None if one is out of range (the
    row reader then says which). A difference of numbers of at most 18 decimal places has no more itself: storage's
    rounding changes no value then, and its text is the difference's own without trailing fractional zeros."""
    spreads = list(map(operator.mul, map(operator.sub, paid, map(operator.mul, quantities, spots)),
                       map(_SPREAD_SIGN.__getitem__, sides)))
    if paid_places > 18 or product_places > 18:
        stored_spreads = column_readers.stored_values(spreads)
        return None if stored_spreads is None else _plain_texts(stored_spreads)
    if spreads and (max(spreads) >= _LIMIT or min(spreads) <= -_LIMIT):
        return None
    texts = _plain_texts(spreads)
    count = len(texts)
    dots = "".join(texts).count(".")
    if dots == count:  # a fraction in every text: strip in two C-level passes
        texts = list(map(str.rstrip, map(str.rstrip, texts, repeat("0", count)), repeat(".", count)))
    elif dots:
        texts = [text.rstrip("0").rstrip(".") if "." in text else text for text in texts]
    if "-0" in texts:
        texts = ["0" if text == "-0" else text for text in texts]
    return texts


def _plain_texts(values: list[Decimal]) -> list[str]:
    """format(value, "f") of each value: str(value) where it is written without an exponent (the same text, made
    faster), which values without a positive exponent are unless below 1e-6."""
    texts = list(map(str, values))
    if "E" in "".join(texts):
        return [format(value, "f") if "E" in text else text for value, text in zip(values, texts, strict=True)]
    return texts


def _row_id(cells: list[str], columns: _HistoryColumns) -> str:
    ext_id = cells[columns.id].strip()
    if len(ext_id) > _MAX_ID:
        raise RowProblem(f"ID is longer than {_MAX_ID} characters")
    return ext_id


def _currency(cells: list[str], columns: _HistoryColumns, cell_currency: str) -> str:
    return _currency_cell(cells[columns.price_currency], columns, cell_currency)


def _currency_cell(cell: str, columns: _HistoryColumns, cell_currency: str) -> str:
    currency_cell = cell.strip()
    currency_cell = CURRENCY_SYMBOLS.get(currency_cell, currency_cell)
    currency = (clean_asset(currency_cell, what="Price Currency") if currency_cell
                else columns.baked_currency or cell_currency)
    if not currency:
        raise RowProblem("the price currency is missing")
    return currency


def _fee(cells: list[str], columns: _HistoryColumns) -> tuple[Decimal | None, str]:
    fee_cell = cells[columns.fees]
    if not fee_cell.strip():
        return None, ""
    fee, text, _ = read_money(fee_cell, what=columns.fees_name)
    return (fee.copy_negate(), text[1:]) if fee < 0 else (fee, text)


def _history_trade(cells: list[str], columns: _HistoryColumns, side: str, identity: RowIdentity,
                   assets: dict[str, str]) -> tuple[TradeDTO, dict]:
    """A Buy or Sell. Its price is what the user paid or got per unit, Subtotal ÷ Quantity: "Price at
    Transaction" is Coinbase's spot price, which leaves out its spread. Both are kept in the raw data."""
    ts, iso = read_time(cells[columns.timestamp])
    asset = assets.get(cells[columns.asset])
    if asset is None:
        asset = assets[cells[columns.asset]] = clean_asset(cells[columns.asset], what="Asset")
    # Newer files write sells as negative quantities; the side comes from the type.
    qty, qty_text = read_decimal(cells[columns.quantity], what="Quantity Transacted")
    if qty < 0:
        qty, qty_text = qty.copy_negate(), qty_text[1:]
    if qty <= 0:
        positive(qty, what="Quantity Transacted")
    if columns.price is None:
        raise RowProblem("the file has no price column")
    spot, spot_text, cell_currency = read_money(cells[columns.price], what=columns.price_name)
    if spot <= 0:
        positive(spot, what=columns.price_name)
    currency = _currency(cells, columns, cell_currency)
    fee, fee_text = _fee(cells, columns)
    base, quote, price, price_text = asset, currency, spot, spot_text
    raw: dict = {"spotPrice": spot_text}
    notes = cells[columns.notes]
    note = _ADVANCED_NOTE.search(notes) if " on " in notes else None
    subtotal_cell = cells[columns.subtotal]
    if note and note["base"] == asset and note["per"] == asset and note["unit"] in (None, note["quote"]):
        # Advanced Trade rows say what was really traded and at what price: "… on ETH-BTC at 0.05 BTC/ETH".
        quote = note["quote"]
        price = positive(parse_decimal(note["price"], what="Notes price"), what="Notes price")
        price_text = decimal_text(price)
        raw["priceSource"] = "notes"
    elif subtotal_cell.strip():
        subtotal, subtotal_text, _ = read_money(subtotal_cell, what=columns.subtotal_name)
        if subtotal < 0:
            subtotal, subtotal_text = subtotal.copy_negate(), subtotal_text[1:]
        price = positive(divide(subtotal, qty, what=columns.subtotal_name), what=columns.subtotal_name)
        spread = subtotal - qty * spot if side == "BUY" else qty * spot - subtotal
        raw["priceSource"] = "subtotal"
        raw["subtotal"] = subtotal_text
        raw["spread"] = decimal_text(stored(spread))
    else:
        raw["priceSource"] = "spot"
    symbol = symbol_of(base, quote)
    ext_id = _row_id(cells, columns)
    if not ext_id:
        # Rows without an id are known by their hash, which has always been of the spot price: keep it so.
        ext_id = identity.ext_id(iso, side, symbol, qty_text, price_text, fee_text)
    return new_trade(ext_id, symbol, side, qty, price, ts, fee, currency if fee is not None else "", quote), raw


_CONVERT_NOTE = re.compile(
    r"Converted\s+(?P<amount>[\d.,]+(?:[eE][-+]?\d{1,4})?)\s+(?P<asset>[A-Z0-9]{1,15})\s+to\s+"
    r"(?P<to_amount>[\d.,]+(?:[eE][-+]?\d{1,4})?)\s+(?P<to_asset>[A-Z0-9]{1,15})"
)


def _convert_trade(cells: list[str], columns: _HistoryColumns, identity: RowIdentity) -> tuple[TradeDTO, dict]:
    """A Convert (crypto → crypto), e.g. "Converted 0.1 ETH to 0.0033 BTC": a trade in the pair of the two
    assets (here a SELL of ETH-BTC at 0.033), with Coinbase's spread (Fees and/or Spread, in the price currency)
    as the fee."""
    ts = parse_timestamp(cells[columns.timestamp])
    note = _CONVERT_NOTE.search(cells[columns.notes])
    if note is None:
        raise RowProblem("Convert: the notes do not say what was converted into what")
    given = positive(parse_decimal(note["amount"], what="Converted amount"), what="Converted amount")
    got = positive(parse_decimal(note["to_amount"], what="Converted amount"), what="Converted amount")
    spent, received = note["asset"], note["to_asset"]
    quote = quote_of(spent, received)
    if quote == received:
        base, side, qty, total = spent, "SELL", given, got
    else:
        base, side, qty, total = received, "BUY", got, given
    price = positive(divide(total, qty, what="Converted amount"), what="Converted amount")
    symbol = symbol_of(base, quote)
    fee = _fee(cells, columns)[0]
    fee_asset = ""
    if fee is not None:
        fee_asset = _currency(cells, columns, parse_money(cells[columns.fees], what=columns.fees_name)[1])
    ext_id = _row_id(cells, columns) or identity.ext_id(ts.isoformat(), "CONVERT", spent, decimal_text(given),
                                                        received, decimal_text(got))
    raw = {"converted": f"{decimal_text(given)} {spent}", "into": f"{decimal_text(got)} {received}"}
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=qty, price=price, ts=ts, fee=fee,
                    fee_asset=fee_asset, quote_asset=quote), raw


TRANSACTION_HISTORY = FormatSpec(
    name="coinbase_transactions",
    broker=BROKER,
    required=(frozenset({"timestamp"}), frozenset({"transactiontype"}), frozenset({"asset"}),
              frozenset({"quantitytransacted"})),
    parse=parse_transaction_history,
)

# --- Coinbase Pro / Exchange fills ---------------------------------------------------------------------


def parse_pro_fills(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_pro_fills", broker=BROKER)
    keys = table.keys
    trade_id_at, product, side_at, created, size_at, size_unit_at, price_at, fee_at, unit_at = (
        column_index(keys.index(name) if name in keys else None)
        for name in ("tradeid", "product", "side", "createdat", "size", "sizeunit", "price", "fee",
                     "price/fee/totalunit"))
    products: dict[str, tuple[str, str, str]] = {}
    sides: dict[str, str] = {}
    units: dict[str, str] = {}

    def pro_fill(cells: list[str]) -> TradeDTO:
        trade_id = cells[trade_id_at].strip()
        if not trade_id:
            raise RowProblem("trade id is empty")
        known = products.get(cells[product])
        if known is None:
            base, quote = split_pair(cells[product])
            known = products[cells[product]] = (base, quote, symbol_of(base, quote))
        base, quote, symbol = known
        side = sides.get(cells[side_at])
        if side is None:
            side = sides[cells[side_at]] = parse_side(cells[side_at], what="side")
        ts = read_time(cells[created], what="created at")[0]
        size = read_decimal(cells[size_at], what="size")[0]
        if size <= 0:
            positive(size, what="size")
        price = read_decimal(cells[price_at], what="price")[0]
        if price <= 0:
            positive(price, what="price")
        size_unit = cells[size_unit_at].strip().upper()
        if size_unit and size_unit != base:
            if size_unit != quote:
                raise RowProblem(f"size unit {size_unit[:16]!r} is neither {base} nor {quote}")
            size = positive(divide(size, price, what="size"), what="size")
        fee_cell = cells[fee_at]
        fee = read_decimal(fee_cell, what="fee")[0].copy_abs() if fee_cell.strip() else None
        fee_asset = ""
        if fee is not None:
            unit = cells[unit_at]
            fee_asset = units.get(unit)
            if fee_asset is None:
                fee_asset = units[unit] = clean_asset(unit, what="price/fee/total unit") if unit.strip() else quote
        ext_id = symbol + ":" + trade_id
        if len(ext_id) > _MAX_ID:
            raise RowProblem(f"trade id is longer than {_MAX_ID - len(symbol) - 1} characters")
        return new_trade(ext_id, symbol, side, size, price, ts, fee, fee_asset, quote)

    def pro_block(column: column_readers.Column) -> list[TradeDTO] | None:
        ids = column(trade_id_at)
        read = column_readers.times(column(created), texts=False)
        sizes = column_readers.numbers(column(size_at))
        prices = column_readers.numbers(column(price_at))
        fees = column_readers.numbers(column(fee_at), signed=True)
        if read is None or sizes is None or prices is None or fees is None or not (all(ids) and all(sizes[0])
                                                                                    and all(prices[0])):
            return None
        try:
            info = column_readers.lookup(column(product), products, _product)
            sides_read = column_readers.lookup(column(side_at), sides, _side)
        except RowProblem:
            return None
        bases = column_readers.field(info, 0)
        size_units = column_readers.lookup(column(size_unit_at), size_units_read, _size_unit)
        if size_units != bases and list(map(_or, size_units, bases)) != bases:
            return None  # sizes in the quote currency: row by row
        units = set(column(unit_at))
        if len(units) != 1 or not next(iter(units)).strip():
            return None
        try:
            fee_asset = clean_asset(next(iter(units)), what="price/fee/total unit")
        except RowProblem:
            return None
        symbols = column_readers.field(info, 2)
        ext_ids = list(map(str.__add__, map(str.__add__, symbols, repeat(":")), ids))
        if list(map(str.strip, ids)) != ids or max(map(len, ext_ids)) > _MAX_ID:
            return None
        return column_readers.trades(ext_ids, symbols, sides_read, sizes[0], prices[0], read[0],
                                     list(map(Decimal.copy_abs, fees[0])), [fee_asset] * len(ids),
                                     column_readers.field(info, 1))

    size_units_read: dict[str, str] = {}

    def _size_unit(cell: str) -> str:
        return cell.strip().upper()

    def _product(cell: str) -> tuple[str, str, str]:
        base, quote = split_pair(cell)
        known = products[cell] = (base, quote, symbol_of(base, quote))
        return known

    def _side(cell: str) -> str:
        side = sides[cell] = parse_side(cell, what="side")
        return side

    return column_readers.collect(result, table, pro_block, pro_fill)


PRO_FILLS = FormatSpec(
    name="coinbase_pro_fills",
    broker=BROKER,
    required=(frozenset({"tradeid"}), frozenset({"product"}), frozenset({"side"}), frozenset({"createdat"}),
              frozenset({"size"}), frozenset({"price"})),
    parse=parse_pro_fills,
)

# --- Coinbase Pro / Exchange account statement: one row per match leg and per fee ----------------------


@dataclass(slots=True)
class _Match:
    line: int
    trade_id: str
    ts: datetime | None = None
    legs: dict[str, Decimal] = field(default_factory=dict)
    fee: Decimal = Decimal(0)
    fee_asset: str = ""
    problem: str = ""


def parse_pro_account(table: Table) -> ParseResult:
    result = ResultBuilder(format="coinbase_pro_fills", broker=BROKER)
    keys = table.keys
    column = {name: keys.index(name) if name in keys else None
              for name in ("type", "time", "amount", "amount/balanceunit", "tradeid", "orderid")}
    matches: dict[tuple[str, str], _Match] = {}
    for record in table.records():
        result.total_rows += 1
        if record.problem:
            result.error(record.line, record.problem)
            continue
        kind = " ".join(record.cell(column["type"]).split())
        if kind.lower() not in ("match", "fee"):
            if kind:
                result.skip(kind[:64])
            else:
                result.error(record.line, "type is empty")
            continue
        trade_id = record.cell(column["tradeid"]).strip()
        if not trade_id:
            result.error(record.line, f"{kind} row without a trade id")
            continue
        entry = matches.setdefault((trade_id, record.cell(column["orderid"]).strip()),
                                   _Match(line=record.line, trade_id=trade_id))
        if entry.problem:
            continue
        try:
            amount = parse_decimal(record.cell(column["amount"]), what="amount")
            unit = clean_asset(record.cell(column["amount/balanceunit"]), what="amount/balance unit")
            if kind.lower() == "fee":
                entry.fee += amount.copy_abs()
                entry.fee_asset = entry.fee_asset or unit
            else:
                entry.ts = entry.ts or parse_timestamp(record.cell(column["time"]), what="time")
                entry.legs[unit] = entry.legs.get(unit, Decimal(0)) + amount
        except RowProblem as problem:
            entry.problem = problem.reason if record.line == entry.line else f"line {record.line}: {problem.reason}"
    for entry in matches.values():
        try:
            if entry.problem:
                raise RowProblem(entry.problem)
            result.add(_account_trade(entry), entry.line)
        except RowProblem as problem:
            result.error(entry.line, f"trade {entry.trade_id[:40]}: {problem.reason}")
    return result.build()


def _account_trade(entry: _Match) -> TradeDTO:
    if len(entry.legs) != 2 or entry.ts is None:
        raise RowProblem("needs exactly two match rows in different currencies")
    first, second = entry.legs
    quote = quote_of(first, second)
    base = second if quote == first else first
    base_amount, quote_amount = entry.legs[base], entry.legs[quote]
    if base_amount == 0 or quote_amount == 0 or (base_amount > 0) == (quote_amount > 0):
        raise RowProblem("the two match rows must move in opposite directions")
    qty = base_amount.copy_abs()
    price = positive(divide(quote_amount.copy_abs(), qty, what="price"), what="price")
    symbol = symbol_of(base, quote)
    ext_id = f"{symbol}:{entry.trade_id}"
    if len(ext_id) > _MAX_ID:
        raise RowProblem("trade id is too long")
    has_fee = bool(entry.fee_asset)
    return TradeDTO(ext_id=ext_id, symbol=symbol, side="BUY" if base_amount > 0 else "SELL", qty=qty, price=price,
                    ts=entry.ts, fee=entry.fee if has_fee else None, fee_asset=entry.fee_asset, quote_asset=quote)


PRO_ACCOUNT = FormatSpec(
    name="coinbase_pro_fills",
    broker=BROKER,
    required=(frozenset({"type"}), frozenset({"time"}), frozenset({"amount"}), frozenset({"amount/balanceunit"}),
              frozenset({"tradeid"})),
    parse=parse_pro_account,
)

SPECS = (TRANSACTION_HISTORY, PRO_FILLS, PRO_ACCOUNT)


def _or(written: str, default: str) -> str:
    return written or default
