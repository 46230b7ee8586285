"""From bytes to a header and rows: decoding, delimiter, preamble, rows wrapped whole in quotes."""
from __future__ import annotations

import codecs
import csv
import io
import operator
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat

from .base import ParseError

MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 200_000
MAX_LINES = 1_000_000  # blank lines included
HEADER_SCAN_LINES = 60
_SNIFF_LINES = 20
_SNIFF_CHARS = 4096
_DELIMITERS = (",", ";", "\t")
_MAX_HEADER_CELLS = 256
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\xa0"), " ")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252, else latin-1 — never fails."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("unknown_format", "Expected the file's bytes.")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ParseError("file_too_large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError("unknown_format", "This is a spreadsheet (Excel) file, not CSV. Open it and save it as "
                                           "CSV (comma-separated), then upload the CSV.")
    if data.startswith(b"%PDF"):
        raise ParseError("unknown_format", "This is a PDF. Download the CSV export instead.")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    head = data[:4096]
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        # UTF-16 saved without a BOM: ASCII text with a zero byte beside every character.
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1")


def header_key(cell: str) -> str:
    """`Date (UTC)`, `date(utc)`, `DATE_UTC ` → one comparable key; accents dropped (`Gebühr` → `gebuhr`)."""
    text = unicodedata.normalize("NFKD", cell.translate(_INVISIBLE).strip().strip('"').lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[\s_]+", "", text)


def _split_line(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return []
    return unwrap(cells, delimiter, 2)


def unwrap(cells: list[str], delimiter: str, width: int) -> list[str]:
    """Some exports wrap each whole row in quotes: `"2021-03-04 10:00:00,DOGEEUR,BUY,…"`."""
    if len(cells) == 1 and width > 1 and delimiter in cells[0]:
        try:
            return next(csv.reader([cells[0].replace("\r", " ").replace("\n", " ")], delimiter=delimiter), [])
        except csv.Error:
            return cells
    return cells


@dataclass(slots=True)
class Record:
    line: int
    cells: list[str]
    problem: str = ""

    def cell(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


@dataclass(slots=True)
class Table:
    text: str
    delimiter: str
    header: list[str]
    header_line: int  # 1-based
    row_count: int = 0  # data rows seen by the last rows() run

    @property
    def keys(self) -> list[str]:
        return [header_key(cell) for cell in self.header]

    def records(self) -> Iterator[Record]:
        """Data rows after the header with their 1-based physical line; blank rows are left out."""
        stream = io.StringIO(self.text, newline="")
        for _ in range(self.header_line):
            stream.readline()
        reader = csv.reader(stream, delimiter=self.delimiter)
        width = len(self.header)
        rows = 0
        while True:
            start = self.header_line + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                rows += 1
                yield Record(line=start, cells=[], problem=f"not a readable CSV row ({exc})")
                continue
            if not any(cell.strip() for cell in cells):
                if reader.line_num > MAX_LINES:
                    raise ParseError("too_many_rows", f"The file has more than {MAX_LINES} lines; split it into "
                                                      "smaller files.")
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ParseError("too_many_rows", f"The file has more than {MAX_ROWS} rows; split it into smaller "
                                                  "files.")
            yield Record(line=start, cells=unwrap(cells, self.delimiter, width))


    def rows(self) -> Iterator[tuple[int, list[str], str]]:
        """(line, cells, "") for every data row after the header, (line, [], reason) for one that is not readable
        CSV; blank rows are left out. `cells` has at least the header's width plus one more, always empty, at the
        end: index -1 reads as "" for a column the file does not have (see column_index)."""
        reader = csv.reader(_lines_after(self.text, self.header_line), delimiter=self.delimiter)
        width = len(self.header)
        padding = [""] * (width + 1)
        delimiter = self.delimiter
        base = self.header_line + 1
        rows = 0
        self.row_count = 0
        while True:
            start = base + reader.line_num
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                rows += 1
                self.row_count = rows
                yield start, [], f"not a readable CSV row ({exc})"
                continue
            if not cells or not (cells[0].strip() or "".join(cells).strip()):
                if reader.line_num > MAX_LINES:
                    raise ParseError("too_many_rows", f"The file has more than {MAX_LINES} lines; split it into "
                                                      "smaller files.")
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise ParseError("too_many_rows", f"The file has more than {MAX_ROWS} rows; split it into smaller "
                                                  "files.")
            self.row_count = rows
            if len(cells) == 1 and width > 1 and delimiter in cells[0]:
                cells = unwrap(cells, delimiter, width)
            if len(cells) < width:
                cells.extend(padding[len(cells):])
            else:
                cells.append("")
            yield start, cells, ""


    def blocks(self, size: int = 4096) -> Iterator[tuple[Sequence[int], list[list[str]], list[tuple[int, str]]]]:
        """The data rows of rows() in blocks of about `size`: (lines, rows, unreadable rows as (line, reason)).
        Files where every row is one physical line (nearly all) are split by the csv module in one call and
        their blocks checked whole; any other file goes through rows()."""
        rest = self.text[sum(map(len, leading_lines(self.text, self.header_line))):]
        everything = _single_line_rows(rest, self.delimiter)
        physical = rest.count("\n") + (1 if rest and not rest.endswith("\n") else 0)
        if everything is None or len(everything) != physical:
            yield from self._blocks_of(self.rows(), size)
            return
        if len(everything) > MAX_LINES:
            raise ParseError("too_many_rows", f"The file has more than {MAX_LINES} lines; split it into smaller "
                                              "files.")
        width = len(self.header)
        base = self.header_line + 1
        first = operator.itemgetter(0)
        self.row_count = 0
        for start in range(0, len(everything), size):
            block = everything[start:start + size]
            if set(map(len, block)) == {width} and all(map(str.strip, map(first, block))):
                self.row_count += len(block)
                if self.row_count > MAX_ROWS:
                    raise ParseError("too_many_rows", f"The file has more than {MAX_ROWS} rows; split it into "
                                                      "smaller files.")
                deque(map(list.append, block, repeat("")), maxlen=0)
                yield range(base + start, base + start + len(block)), block, []
                continue
            counted = self.row_count
            lines: list[int] = []
            rows: list[list[str]] = []
            for line, cells in enumerate(block, base + start):
                cells = self._padded(cells, width)
                if cells is None:
                    continue
                counted += 1
                if counted > MAX_ROWS:
                    raise ParseError("too_many_rows", f"The file has more than {MAX_ROWS} rows; split it into "
                                                      "smaller files.")
                lines.append(line)
                rows.append(cells)
            self.row_count = counted
            yield lines, rows, []

    def all_readable(self) -> tuple[list[int], list[list[str]]] | None:
        """Every data row with its line, for readers that take a whole file column by column: None when any
        row is unreadable (such a reader then leaves the file to its row-by-row path)."""
        lines: list[int] = []
        rows: list[list[str]] = []
        for block_lines, block_rows, problems in self.blocks():
            if problems:
                return None
            lines += block_lines
            rows += block_rows
        return lines, rows

    def _padded(self, cells: list[str], width: int) -> list[str] | None:
        """rows()'s treatment of one row: None for a blank one, else unwrapped and padded."""
        if not cells or not (cells[0].strip() or "".join(cells).strip()):
            return None
        if len(cells) == 1 and width > 1 and self.delimiter in cells[0]:
            cells = unwrap(cells, self.delimiter, width)
        if len(cells) < width:
            cells.extend([""] * (width + 1 - len(cells)))
        else:
            cells.append("")
        return cells

    @staticmethod
    def _blocks_of(rows: Iterator[tuple[int, list[str], str]], size: int):
        lines: list[int] = []
        block: list[list[str]] = []
        problems: list[tuple[int, str]] = []
        for line, cells, problem in rows:
            if problem:
                problems.append((line, problem))
            else:
                lines.append(line)
                block.append(cells)
            if len(block) + len(problems) >= size:
                yield lines, block, problems
                lines, block, problems = [], [], []
        if block or problems:
            yield lines, block, problems


def column_index(index: int | None) -> int:
    """A column's index for Table.rows() cells: -1 (always "") for a column the file does not have."""
    return -1 if index is None else index


def _single_line_rows(text: str, delimiter: str) -> list[list[str]] | None:
    """csv.reader's rows of `text` (None if it raises), for Table.blocks, which keeps them only when there are as
    many as physical lines. The lines are split with str.split, faster than through a text stream, unless a lone
    carriage return ends a line: whenever no row spans two lines, the rows are those the stream gives."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        lines: Iterable[str] = io.StringIO(text, newline="")
    else:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
            if lines:
                lines[-1] += "\n"  # a quote left open on the last line keeps the newline, as from a stream
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return None


def leading_lines(text: str, count: int) -> list[str]:
    """The first `count` lines of `text` (fewer if it has fewer) as io.StringIO(text, newline="").readline gives
    them, with their line ends, read from a prefix of the text instead of a stream of all of it."""
    size = 1 << 16
    while True:
        prefix = text[:size]
        stream = io.StringIO(prefix, newline="")
        lines = [stream.readline() for _ in range(count + 1)]
        if lines[count] or len(prefix) == len(text):  # the count-th line ended inside the prefix
            return [line for line in lines[:count] if line]
        size *= 4


def _lines_after(text: str, skip: int) -> Iterator[str]:
    """The lines of io.StringIO(text, newline="") after the first `skip`, made from a piece of the text at a time:
    a stream of the whole text would copy all of it first, also for a reader that looks at a few rows only."""
    position = sum(map(len, leading_lines(text, skip)))
    size = 1 << 16
    while position < len(text):
        piece = text[position:position + size]
        lines = io.StringIO(piece, newline="").readlines()
        if position + len(piece) < len(text):
            lines.pop()  # it may go on in the next piece (a line end split as \r | \n too)
            if not lines:
                size *= 4
                continue
        position += sum(map(len, lines))
        yield from lines


def _first_lines(text: str) -> list[str]:
    return [line[: _SNIFF_CHARS * 4] for line in leading_lines(text, HEADER_SCAN_LINES)]


def _sniffed_delimiter(lines: list[str]) -> str | None:
    sample = "".join(line[:1000] if len(line) <= 1000 else line[:1000] + "\n" for line in lines[:_SNIFF_LINES])
    try:
        dialect = csv.Sniffer().sniff(sample[:_SNIFF_CHARS], delimiters="".join(_DELIMITERS))
    except csv.Error:
        return None
    return dialect.delimiter if dialect.delimiter in _DELIMITERS else None


def read_table(text: str, accepts: Callable[[list[str]], bool]) -> Table | None:
    """The first line (of the first few) whose cells `accepts`, trying the sniffed delimiter first."""
    lines = _first_lines(text)
    sniffed = _sniffed_delimiter([line for line in lines if line.strip()])
    delimiters = ([sniffed] if sniffed else []) + [d for d in _DELIMITERS if d != sniffed]
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        for delimiter in delimiters:
            if delimiter not in line:
                continue
            cells = _split_line(line, delimiter)
            if not 2 <= len(cells) <= _MAX_HEADER_CELLS:
                continue
            cells = [cell.translate(_INVISIBLE).strip() for cell in cells]
            if accepts(cells):
                return _without_no_data_line(Table(text=text, delimiter=delimiter, header=cells,
                                                   header_line=index + 1))
    return None


def no_data_key(text: str) -> str:
    """`No data.`, `NO DATA`, `"該当するデータがありません。"` → one comparable key: letters and digits only."""
    return "".join(char for char in unicodedata.normalize("NFKC", text).casefold() if char.isalnum())


# What exports write under the header when there is nothing to export (Binance in its UI languages, and other
# exchanges), compared as no_data_key gives them: a file whose only line under the header is one of these has no
# rows. Add a message here when an export in another language says it another way.
NO_DATA_MESSAGES = frozenset(map(no_data_key, (
    "No data", "No data available", "No records", "No records found", "No matching records", "No matching data",
    "No results", "No results found", "No trades", "No transactions", "No orders", "There is no data",
    "該当するデータがありません", "データがありません", "データなし", "該当データなし", "記録がありません",
    "暂无数据", "暂无记录", "没有数据", "无数据", "暫無數據", "暫無記錄", "沒有數據", "無數據", "沒有資料", "暫無資料",
    "데이터가 없습니다", "데이터 없음", "기록이 없습니다",
    "Нет данных", "Данные отсутствуют", "Записей нет", "Немає даних", "Дані відсутні",
    "Keine Daten", "Keine Daten vorhanden", "Keine Einträge", "Aucune donnée", "Aucune donnée disponible",
    "Pas de données", "No hay datos", "Sin datos", "No hay registros", "Sem dados", "Nenhum dado", "Nenhum registro",
    "Nessun dato", "Nessun dato disponibile", "Brak danych", "Veri yok", "Kayıt bulunamadı", "Không có dữ liệu",
    "Tidak ada data", "Geen gegevens", "ไม่มีข้อมูล", "لا توجد بيانات",
)))
_NO_DATA_CHARS = 200


def _without_no_data_line(table: Table) -> Table:
    """The table itself, or without its rows when its only line under the header is a "no data" message."""
    head = "".join(leading_lines(table.text, table.header_line))
    start = table.text[len(head):len(head) + _NO_DATA_CHARS + 2]
    line = start.lstrip("\r\n").split("\n", 1)[0]
    if not line.strip() or len(line) > _NO_DATA_CHARS:
        return table
    named = [cell for cell in _split_line(line, table.delimiter) if cell.strip()]
    if len(named) != 1 or no_data_key(named[0].translate(_INVISIBLE)) not in NO_DATA_MESSAGES:
        return table
    if table.text[len(head):].strip() != line.strip():
        return table  # more lines follow
    return Table(text=head, delimiter=table.delimiter, header=table.header, header_line=table.header_line)


_DATA_CELL = re.compile(r"[-+\d.,:/ TZ]+")


def looks_like_header(cells: list[str]) -> bool:
    """A header for an unknown CSV: at least two named columns and no cell that is a number."""
    named = [cell for cell in cells if cell]
    if len(named) < 2 or len(set(named)) < len(named) // 2 + 1:
        return False
    return not any(_DATA_CELL.fullmatch(cell) and any(char.isdigit() for char in cell) for cell in named)


def body_lines(table: Table) -> tuple[str, list[str]] | None:
    """The text under the header (line ends made "\\n", the last one dropped) and its lines, for the readers that
    split a whole table at once; None when there is nothing to split that way: fewer than two columns, no rows, a
    NUL, or a carriage return that is not part of a line end."""
    text = table.text[sum(map(len, leading_lines(table.text, table.header_line))):]
    if len(table.header) < 2 or not text or "\x00" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    body = text[:-1] if text[-1] == "\n" else text
    return body, body.split("\n")


def unquoted_columns(table: Table) -> tuple[range, SplitColumns] | None:
    """The data rows of a table with no quote under its header as columns: (the 1-based line of each row, one list
    of cells per header column then one of "" for index -1), split with str.split, the cells csv.reader gives; None
    unless every row is one line of exactly the header's width and none is blank (Table.rows leaves those out), or
    there are more than MAX_ROWS. Sets table.row_count."""
    split = body_lines(table)
    if split is None or '"' in split[0]:
        return None
    return columns_of_lines(table, *split)


def columns_of_lines(table: Table, body: str, lines: list[str]) -> tuple[range, SplitColumns] | None:
    """unquoted_columns of a table whose body_lines (with no quote) are given."""
    width = len(table.header)
    delimiter = table.delimiter
    count = len(lines)
    if count > MAX_ROWS or set(map(str.count, lines, repeat(delimiter, count))) != {width - 1}:
        return None  # too many rows, a blank line, a short or long row
    if max(map(len, lines)) > csv.field_size_limit():
        return None
    cells = SplitColumns(body.replace("\n", delimiter).split(delimiter), width, count)
    first = cells[0]
    if not all(map(str.strip, first)):
        blank_first = compress(range(count), map(operator.not_, map(str.strip, first)))
        everything = [cells[index] for index in range(width)]
        if any(not "".join(column[row] for column in everything).strip() for row in blank_first):
            return None  # a row of blank cells
    table.row_count = count
    return range(table.header_line + 1, table.header_line + 1 + count), cells


class SplitColumns:
    """The columns of a table's cells split into one flat list, row after row: `columns[index]` is one column's
    cells (-1, or the header's width: a column the file lacks, all ""), taken out of the flat list the first time it
    is asked for, and block(index, start, stop) the cells of rows start to stop of one, taken straight out of the
    flat list: a reader that takes the rows a block at a time and some of the columns copies each cell it reads
    once, and no other."""

    __slots__ = ("flat", "width", "count", "_columns")

    def __init__(self, flat: list[str], width: int, count: int):
        self.flat, self.width, self.count = flat, width, count
        self._columns: dict[int, list[str]] = {}

    def __getitem__(self, index: int) -> list[str]:
        column = self._columns.get(index)
        if column is None:
            column = self._columns[index] = self.block(index, 0, self.count)
        return column

    def __len__(self) -> int:
        return self.width + 1

    def block(self, index: int, start: int, stop: int) -> list[str]:
        if index < 0:
            index += self.width + 1
        if not 0 <= index <= self.width:
            raise IndexError(index)
        stop = min(stop, self.count)
        if index == self.width:
            return [""] * max(stop - start, 0)
        return self.flat[start * self.width + index:stop * self.width:self.width]
