"""The staged item import's SQL: a CSV file loaded whole into a temporary table, checked set-based.

PostgreSQL: the decoded text goes to ``COPY import_raw (raw) FROM STDIN`` as one text column per
physical line (an identity column numbers them, so line N of the file is row N), and
``string_to_array`` splits it on the file's delimiter. A quoted file is parsed by the csv module
first and its records re-joined with the unit separator (U+001F), provided each record is one line.

SQLite: the csv module's records go straight into ``executemany`` (no Python code runs per row);
the staging table's integer key numbers them. A record with the wrong number of fields (which
SQLite cannot bind), a blank line or a record spanning lines hands the file back to the per-row
path, which reports such rows exactly.

From the staging rows :func:`build_rows` makes ``import_rows`` (the canonical columns, stripped as
``str.strip`` strips them, decimal commas turned into points as the mapping says) and
:func:`build_checked` makes ``import_checked``: every row with its values in the text form the
ledger stores (dates ``YYYY-MM-DD``, amounts ``1234.50``) and ``clean = 1`` when the set-based tests
decide it, the very tests of ``incasso.core.erp_items.ItemChecker``'s fast loop. Dates, kinds and
currencies are decided in Python once per *distinct* text (``import_dates``, ``import_kinds``,
``import_currencies``), so they mean exactly what the per-row check says they mean. Rows that are
not clean are judged by the full per-row check (the caller's business).

Every table here is temporary (``ON COMMIT DROP`` on PostgreSQL, dropped by :func:`drop` on SQLite).
Table and column names are ours; file values are COPY data or parameters, never SQL text.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from incasso.core.erp_rows import COLUMNS
from incasso.ledger.importers.readers import CsvText

ITEM_COLUMNS = COLUMNS["items"][0] + COLUMNS["items"][1]

# What str.strip() removes: the ASCII part is trimmed in SQL; a line holding any of the others
# anywhere is left to the per-row check (EXOTIC_SPACE).
ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
EXOTIC_SPACE = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_JOINER = "\x1f"  # joins the fields of a parsed quoted record for COPY (PostgreSQL)
_COPY_BYTES = 4 << 20  # characters per write to the COPY stream
_SQLITE_TEMP_CACHE_KIB = 512 * 1024

TABLES = ("import_raw", "import_stage", "import_rows", "import_checked", "import_dates", "import_kinds",
          "import_currencies", "import_entities", "import_ready", "import_changed", "import_groups", "import_new",
          "import_doubt")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def execute(sql: str, params: dict[str, object] | None = None) -> int:
    """Run one statement with named parameters (``%(name)s``); returns the row count."""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"_": 0, **(params or {})})
        return cursor.rowcount


def fetch(sql: str, params: dict[str, object] | None = None) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, {"_": 0, **(params or {})})
        return cursor.fetchall()


def temp_table(name: str, body: str) -> str:
    """``CREATE TEMPORARY TABLE name ... body`` dropped at commit on PostgreSQL."""
    if not is_postgres():
        return f"CREATE TEMPORARY TABLE {name} {body}"
    if body.startswith("("):
        return f"CREATE TEMPORARY TABLE {name} {body} ON COMMIT DROP"
    return f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP {body}"


def drop() -> None:
    """Drop the staging tables (PostgreSQL drops them at commit or rollback anyway)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {'' if is_postgres() else 'temp.'}{table}")


@dataclass
class Stage:
    """The loaded file: where each file column is, and the SQL reading a field of a staged row."""

    width: int  # fields of the header
    delimiter: str
    rows: int = 0  # staged rows (blank lines excepted on PostgreSQL)
    joined: bool = False  # PostgreSQL: fields joined with _JOINER (a quoted file parsed in Python)

    def field(self, index: int) -> str:
        """SQL for the file's field ``index`` (0-based) of a staged row; NULL when the row is short."""
        return f"s.f[{index + 1}]" if is_postgres() else f"s.c{index + 1}"

    def field_count(self) -> str:
        return "cardinality(s.f)" if is_postgres() else str(self.width)

    def line(self) -> str:
        return "s.line" if is_postgres() else "s.line + 1"

    def raw_rows(self, lines: Sequence[int]) -> list[tuple[int, list[str]]]:
        """The staged rows of ``lines`` as the reader would give them: (line, fields)."""
        if not lines:
            return []
        execute(temp_table("import_doubt", "(line bigint PRIMARY KEY)"))
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO import_doubt (line) VALUES (%s)", [(line,) for line in lines])
            if is_postgres():
                cursor.execute("SELECT s.line, s.raw FROM import_raw s JOIN import_doubt d ON d.line = s.line "
                               "ORDER BY s.line")
                split = _JOINER if self.joined else self.delimiter
                rows = [(line, raw.split(split)) for line, raw in cursor.fetchall()]
            else:
                columns = ", ".join(f"s.c{n + 1}" for n in range(self.width))
                cursor.execute(f"SELECT d.line, {columns} FROM import_doubt d JOIN import_stage s "
                               "ON s.line = d.line - 1 ORDER BY d.line")
                rows = [(row[0], list(row[1:])) for row in cursor.fetchall()]
            cursor.execute("DROP TABLE import_doubt" if is_postgres() else "DROP TABLE temp.import_doubt")
        return rows


def load(source: CsvText, progress: Callable[[str, int, int], None] | None = None) -> Stage | str:
    """Load the file's data rows into the staging table; the Stage, or why the file cannot be staged."""
    stage = Stage(width=len(source.header), delimiter=source.delimiter)
    if is_postgres():
        return _load_postgres(source, stage, progress)
    return _load_sqlite(source, stage, progress)


def _load_postgres(source: CsvText, stage: Stage, progress: Callable[[str, int, int], None] | None) -> Stage | str:
    text = source.text
    if source.quoted:
        if _JOINER in text:
            return "a quoted file holding the U+001F character"
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter)
        try:
            records = [_JOINER.join(record) for record in reader]
        except csv.Error:
            return "the file is not valid CSV"
        if reader.line_num != len(records) or any("\n" in r or "\r" in r for r in records):
            return "a quoted field spans lines"
        text = "\n".join(records)
        stage.joined = True
        del records
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if not text.endswith("\n"):
        text += "\n"
    execute(temp_table("import_raw", "(line bigint GENERATED ALWAYS AS IDENTITY, raw text)"))
    total = len(text)
    with connection.cursor() as cursor, cursor.cursor.copy("COPY import_raw (raw) FROM STDIN") as copy:
        start = 0
        while start < total:
            end = text.find("\n", min(start + _COPY_BYTES, total - 1)) + 1 or total
            copy.write(text[start:end])
            start = end
            if progress:
                progress("loading", start, total)
    stage.rows = source.row_count
    return stage


def _load_sqlite(source: CsvText, stage: Stage, progress: Callable[[str, int, int], None] | None) -> Stage | str:
    columns = ", ".join(f"c{n + 1} TEXT" for n in range(stage.width))
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA temp.cache_size = -{_SQLITE_TEMP_CACHE_KIB}")
        cursor.execute(f"CREATE TEMPORARY TABLE import_stage (line INTEGER PRIMARY KEY, {columns})")
        if source.quoted:
            reader: Iterable[list[str]] = csv.reader(io.StringIO(source.text, newline=""), delimiter=source.delimiter)
        else:
            reader = csv.reader(io.StringIO(source.text), delimiter=source.delimiter, quoting=csv.QUOTE_NONE)
        rows = iter(reader)
        next(rows, None)  # the header
        placeholders = ", ".join("?" for _ in range(stage.width))
        if progress:
            progress("loading", 0, source.row_count)
        try:
            names = ", ".join(f"c{n + 1}" for n in range(stage.width))
            cursor.cursor.executemany(f"INSERT INTO import_stage ({names}) VALUES ({placeholders})", rows)
        except (sqlite3.ProgrammingError, csv.Error):
            return "a row with another number of fields than the header, a blank line or bad CSV"
        cursor.execute("SELECT COUNT(*) FROM import_stage")
        stage.rows = cursor.fetchone()[0]
    if stage.rows != source.row_count:
        return "a quoted field spans lines"
    if progress:
        progress("loading", stage.rows, source.row_count)
    return stage


# -- SQL pieces per database ------------------------------------------------------------------------

def _strip(sql: str) -> str:
    return f"btrim({sql}, %(space)s)" if is_postgres() else f"trim({sql}, %(space)s)"


def _plain(sql: str) -> str:
    """SQL true when ``sql`` is a plain positive amount: digits without a leading zero, and at most
    two decimals after a point (``_PLAIN_AMOUNT`` of the fast loop)."""
    if is_postgres():
        return f"({sql} ~ '^(0|[1-9][0-9]*)(\\.[0-9]{{1,2}})?$')"
    return (f"({sql} GLOB '[0-9]*' AND {sql} NOT GLOB '*[^0-9.]*' "
            f"AND ({sql} NOT GLOB '0*' OR {sql} = '0' OR {sql} GLOB '0.*') "
            f"AND (instr({sql}, '.') = 0 OR (({sql} GLOB '*.[0-9]' OR {sql} GLOB '*.[0-9][0-9]') "
            f"AND {sql} NOT GLOB '*.*.*')))")


def _decimal_comma(sql: str, decimal_comma: bool | None) -> str:
    """The amount text as the fast loop reads it: ``1.234,56`` -> ``1234.56`` when the mapping says
    decimal comma; when it leaves it to inference, ``1234,56`` (digits, one comma, digits) is read
    as ``1234.56``, which is what ``parse_amount`` infers for it (with three digits after the comma
    the plain test fails and the per-row check decides)."""
    if decimal_comma is True:
        return f"replace(replace({sql}, '.', ''), ',', '.')"
    if decimal_comma is False:
        return sql
    if is_postgres():
        return f"CASE WHEN {sql} ~ '^[0-9]+,[0-9]+$' THEN replace({sql}, ',', '.') ELSE {sql} END"
    return (f"CASE WHEN {sql} GLOB '[0-9]*,*[0-9]' AND {sql} NOT GLOB '*[^0-9,]*' AND {sql} NOT GLOB '*,*,*' "
            f"THEN replace({sql}, ',', '.') ELSE {sql} END")


def _two_decimals(sql: str) -> str:
    """A plain amount written with two decimals (``12`` -> ``12.00``, ``12.5`` -> ``12.50``)."""
    position = f"strpos({sql}, '.')" if is_postgres() else f"instr({sql}, '.')"
    return (f"CASE WHEN {position} = 0 THEN {sql} || '.00' WHEN length({sql}) - {position} = 1 THEN {sql} || '0' "
            f"ELSE {sql} END")


def _exotic(stage: Stage) -> str:
    if is_postgres():
        return "s.raw ~ %(exotic)s"
    return f"({' || '.join(f's.c{n + 1}' for n in range(stage.width))}) GLOB %(exotic)s"


def build_rows(stage: Stage, positions: dict[str, int], defaults: dict[str, str], decimal_comma: bool | None) -> None:
    """``import_rows``: one row per staged data row with the canonical columns, stripped."""
    params: dict[str, object] = {"space": ASCII_SPACE,
                                 "exotic": f"[{EXOTIC_SPACE}]" if is_postgres() else f"*[{EXOTIC_SPACE}]*"}
    selected = []
    for column in ITEM_COLUMNS:
        if column in positions:
            value = _strip(stage.field(positions[column]))
        elif column in defaults:
            params[f"default_{column}"] = defaults[column]
            value = f"CAST(%(default_{column})s AS TEXT)"
        else:
            value = "CAST(NULL AS TEXT)"
        if column in ("amount", "open_amount", "amount_entity"):
            value = _decimal_comma(value, decimal_comma)
        selected.append(f"{value} AS {column}")
    if is_postgres():
        source = ("(SELECT line, raw, string_to_array(raw, %(delimiter)s) AS f FROM import_raw "
                  "WHERE line > 1 AND raw <> '') s")
        params["delimiter"] = _JOINER if stage.joined else stage.delimiter
    else:
        source = "import_stage s"
    execute(temp_table("import_rows", f"AS SELECT {stage.line()} AS line, {stage.field_count()} AS nf, "
                                      f"CASE WHEN {_exotic(stage)} THEN 1 ELSE 0 END AS exotic, "
                                      f"{', '.join(selected)} FROM {source}"), params)


def distinct_texts(*columns: str) -> list[str]:
    union = " UNION ".join(f"SELECT DISTINCT {column} FROM import_rows WHERE {column} IS NOT NULL"
                           for column in columns)
    return [row[0] for row in fetch(union)]


def fill(table: str, columns: str, rows: Iterable[Sequence[object]]) -> None:
    """A small lookup table of ours, filled from Python."""
    execute(temp_table(table, f"({columns})"))
    names = ", ".join(part.split()[0] for part in columns.split(","))
    count = len(columns.split(","))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * count)})", list(rows))


def build_checked(width: int) -> None:
    """``import_checked``: the rows in the ledger's text form, ``clean`` when decided set-based.

    Needs ``import_rows`` and the lookups ``import_dates(text, iso)``, ``import_kinds(text, kind,
    known)`` (kind is the key's kind even when unknown) and ``import_currencies(code)``."""
    amount = f"CASE WHEN {_plain('r.amount')} THEN {_two_decimals('r.amount')} END"
    erp_open = (f"CASE WHEN r.open_amount IS NULL OR r.open_amount = '' THEN {amount} "
                f"WHEN {_plain('r.open_amount')} THEN {_two_decimals('r.open_amount')} END")
    amount_entity = f"CASE WHEN {_plain('r.amount_entity')} THEN {_two_decimals('r.amount_entity')} END"
    collate = ' COLLATE "C"' if is_postgres() else ""
    if is_postgres():
        cleared = "(x.amount::numeric - x.erp_open::numeric)::text"
    else:
        cents = "(CAST(replace(x.amount, '.', '') AS INTEGER) - CAST(replace(x.erp_open, '.', '') AS INTEGER))"
        cleared = f"printf('%%d.%%02d', {cents} / 100, {cents} %% 100)"
    clean = f"""x.nf = {width} AND x.exotic = 0 AND x.entity <> '' AND x.account <> '' AND x.number <> ''
        AND length(x.number) <= 40 AND x.known = 1 AND x.currency_ok = 1
        AND x.document_date IS NOT NULL AND x.due_date IS NOT NULL
        AND x.amount IS NOT NULL AND x.erp_open IS NOT NULL AND x.amount <> '0.00'
        AND (length(x.erp_open) < length(x.amount)
             OR (length(x.erp_open) = length(x.amount) AND x.erp_open{collate} <= x.amount{collate}))
        AND (x.reference IS NULL OR length(x.reference) <= 80)
        AND (x.external_id IS NULL OR length(x.external_id) <= 80)
        AND (x.text IS NULL OR length(x.text) <= 200)
        AND (x.posting_text IS NULL OR x.posting_text = '' OR x.posting_date IS NOT NULL)
        AND (x.cleared_text IS NULL OR x.cleared_text = '' OR x.cleared_date IS NOT NULL)
        AND (x.amount_entity_text IS NULL OR x.amount_entity_text = '' OR x.amount_entity IS NOT NULL)"""
    inner = f"""SELECT r.line, r.nf, r.exotic, r.entity, r.account, k.kind, COALESCE(k.known, 0) AS known, r.number,
        dd.iso AS document_date, du.iso AS due_date, r.currency,
        CASE WHEN c.code IS NULL THEN 0 ELSE 1 END AS currency_ok,
        {amount} AS amount, {erp_open} AS erp_open, r.reference,
        r.posting_date AS posting_text, dp.iso AS posting_date,
        r.amount_entity AS amount_entity_text,
        CASE WHEN r.amount_entity <> '' THEN {amount_entity} END AS amount_entity,
        r.external_id, r.text, r.cleared_date AS cleared_text, dc.iso AS cleared_date
        FROM import_rows r
        LEFT JOIN import_kinds k ON k.text = r.kind
        LEFT JOIN import_currencies c ON c.code = r.currency
        LEFT JOIN import_dates dd ON dd.text = r.document_date
        LEFT JOIN import_dates du ON du.text = r.due_date
        LEFT JOIN import_dates dp ON dp.text = r.posting_date AND r.posting_date <> ''
        LEFT JOIN import_dates dc ON dc.text = r.cleared_date AND r.cleared_date <> ''"""
    columns = ("line", "entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
               "erp_open", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")
    execute(temp_table("import_checked", f"""AS SELECT {', '.join('x.' + c for c in columns)},
        CASE WHEN x.amount = x.erp_open THEN NULL ELSE {cleared} END AS cleared_amount,
        CASE WHEN {clean} THEN 1 ELSE 0 END AS clean,
        1 AS has_key FROM ({inner}) x"""))
