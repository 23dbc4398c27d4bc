"""ERP files into a header and text rows, whatever the format, delimiter and encoding.

* CSV as European Excel writes it: comma or semicolon (or tab) delimiter, found from the header
  line; UTF-8 with or without a byte-order mark, else Windows-1252 (tried when the bytes are not
  valid UTF-8, which is how Excel's "CSV (semicolon)" export of accented names looks).
* XLSX: the first worksheet, read with openpyxl in read-only mode. Dates become ISO text, numbers
  their shortest decimal text (Excel stores numbers as binary floats; the shortest repr gives back
  the two decimals that were typed).
* JSON: a list of objects with the canonical keys; the "line" of a row is its position in the list.

Rows are ``(line, values)`` with ``line`` the physical line (1 = header), so errors can name it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from incasso.core.spreadsheet import cell_text

FORMATS = ("csv", "xlsx", "json")


class FileFormatError(ValueError):
    """A file that cannot be read as the format it claims or seems to be."""


@dataclass
class Table:
    """A read file: its header, its rows (consumed once) and how many rows it has."""

    name: str
    file_format: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    row_count: int
    detail: str  # e.g. "csv, ';' delimited, cp1252" for the summary
    sha256: str = ""
    lines: list[str] | None = None  # a CSV file without quotes: its lines (header first), each one record
    delimiter: str = ""


def detect_format(path: Path, head: bytes) -> str:
    """From the content first (a ZIP is XLSX, '[' or '{' starts JSON), then the extension."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "csv"


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM or not) when the bytes are valid UTF-8, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line most often (outside quotes)."""
    counts = dict.fromkeys(";,\t|", 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def read_table(path: str | Path, file_format: str | None = None) -> Table:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read: {exc.strerror}") from None
    file_format = file_format or detect_format(path, data[:64])
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json}
    if file_format in readers:
        table = readers[file_format](path, data)
        table.sha256 = hashlib.sha256(data).hexdigest()
        return table
    raise FileFormatError(f"{path}: unknown format {file_format!r} (one of {', '.join(FORMATS)})")


def _read_csv(path: Path, data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise FileFormatError(f"{path}:1: the file is empty (a header row is needed)")
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    row_count = text.count("\n") - 1 + (0 if text.endswith("\n") else 1)
    detail = f"csv, {delimiter!r} delimited, {encoding}"
    if '"' not in text and "\0" not in text and text.count("\r") == text.count("\r\n") and text[:1] not in "\r\n":
        # Nothing quoted, no NUL, no bare carriage return: each line is one record and splitting it
        # on the delimiter is exactly what the csv module would do, five times faster.
        lines = text.replace("\r\n", "\n").split("\n") if "\r" in text else text.split("\n")
        del text

        def split_rows() -> Iterator[tuple[int, list[str]]]:
            for line_num, line in enumerate(lines, start=1):
                if line_num > 1 and line:
                    values = line.split(delimiter)
                    if len(values) > 1 or values[0].strip():
                        yield line_num, values

        return Table(path.name, "csv", lines[0].split(delimiter), split_rows(), max(row_count, 0), detail,
                     lines=lines, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for values in reader:
                if values and (len(values) > 1 or values[0].strip()):
                    yield reader.line_num, values
        except csv.Error as exc:
            raise FileFormatError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None

    return Table(path.name, "csv", header, rows(), max(row_count, 0), detail)


def _read_xlsx(path: Path, data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for bad files
        raise FileFormatError(f"{path}: not a readable XLSX workbook: {exc}") from None
    sheet = workbook.worksheets[0]
    values_iter = sheet.iter_rows(values_only=True)
    try:
        header = [cell_text(v) for v in next(values_iter)]
    except StopIteration:
        raise FileFormatError(f"{path}:1: the worksheet is empty (a header row is needed)") from None
    while header and header[-1] == "":
        header.pop()
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, values in enumerate(values_iter, start=2):
            cells = [cell_text(v) for v in values]
            if any(cells):
                if len(cells) > width and not any(cells[width:]):
                    cells = cells[:width]
                yield line, cells
        workbook.close()

    return Table(path.name, "xlsx", header, rows(), max((sheet.max_row or 1) - 1, 0), "xlsx")


def _read_json(path: Path, data: bytes) -> Table:
    text, _encoding = decode(data)
    try:
        records = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileFormatError(f"{path}:1: expected a JSON list of objects with the canonical keys")
    header: list[str] = list(dict.fromkeys(key for record in records for key in record))

    def text_of(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ";".join(text_of(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value).strip()

    def rows() -> Iterator[tuple[int, list[str]]]:
        # The "line" of a JSON row is its 1-based position in the list, plus one for the header
        # convention, so record 1 is reported as line 2 just as the first CSV data row is.
        for position, record in enumerate(records, start=2):
            yield position, [text_of(record.get(key)) for key in header]

    return Table(path.name, "json", header, rows(), len(records), "json")


@dataclass
class CsvText:
    """A CSV file decoded whole, for the staged item import (``ledger.importers.staging``): the
    header, the decoded text with its line ends made ``\\n``, and whether any field is quoted."""

    name: str
    header: list[str]
    text: str
    delimiter: str
    quoted: bool
    row_count: int
    detail: str
    sha256: str


def read_csv_text(path: str | Path) -> CsvText | str:
    """The file decoded as :func:`read_table` would read it as CSV, or the reason it is not a CSV
    file the staged path can take (XLSX or JSON content, a bare carriage return, a NUL)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read: {exc.strerror}") from None
    file_format = detect_format(path, data[:64])
    if file_format != "csv":
        return f"{file_format.upper()} files are read row by row"
    text, encoding = decode(data)
    if not text.strip():
        raise FileFormatError(f"{path}:1: the file is empty (a header row is needed)")
    if "\0" in text or text.count("\r") != text.count("\r\n") or text[:1] in "\r\n":
        return "the file has a NUL, a bare carriage return or an empty first line"
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    row_count = text.count("\n") - 1 + (0 if text.endswith("\n") else 1)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    quoted = '"' in text
    if quoted:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error:
            return "the header is not valid CSV"
    else:
        header = text.split("\n", 1)[0].split(delimiter)
    return CsvText(path.name, header, text, delimiter, quoted, max(row_count, 0),
                   f"csv, {delimiter!r} delimited, {encoding}", hashlib.sha256(data).hexdigest())
