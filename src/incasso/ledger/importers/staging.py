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

from django.db import DatabaseError, connection, transaction

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
_PG_WORK_MEM = "256MB"
_PG_TEMP_BUFFERS = "1GB"

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


def analyze(table: str) -> None:
    """Statistics for a staging table on PostgreSQL (autovacuum never sees temporary tables): without
    them the planner takes a million rows for a few hundred and sorts where it should hash."""
    if is_postgres():
        execute(f"ANALYZE {table}")


def drop() -> None:
    """Drop the staging tables (PostgreSQL drops them at commit or rollback anyway)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {'' if is_postgres() else 'temp.'}{table}")


@dataclass
class Stage:
    """The loaded file: its width, delimiter and text (to give doubted rows back as the reader would)."""

    width: int  # fields of the header
    delimiter: str
    source: CsvText
    joined: bool = False  # PostgreSQL: fields joined with _JOINER (a quoted file parsed in Python)

    def raw_rows(self, lines: Sequence[int]) -> list[tuple[int, list[str]]]:
        """The data rows of ``lines`` as the reader gives them: (line, fields), in line order."""
        if not lines:
            return []
        wanted = set(lines)
        if is_postgres():
            split = _JOINER if self.joined else self.delimiter
            execute(temp_table("import_doubt", "(line bigint PRIMARY KEY)"))
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO import_doubt (line) VALUES (%s)", [(line,) for line in lines])
                cursor.execute("SELECT s.line, s.raw FROM import_raw s JOIN import_doubt d ON d.line = s.line "
                               "ORDER BY s.line")
                rows = [(line, raw.split(split)) for line, raw in cursor.fetchall()]
                cursor.execute("DROP TABLE import_doubt")
            return rows
        # SQLite staged one record per line (load checked it): record N is line N + 1.
        text = self.source.text
        if self.source.quoted:
            records = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        else:
            records = csv.reader(io.StringIO(text), delimiter=self.delimiter, quoting=csv.QUOTE_NONE)
        return [(line, values) for line, values in enumerate(records, start=1) if line in wanted]


def load(source: CsvText, positions: dict[str, int], defaults: dict[str, str], decimal_comma: bool | None,
         progress: Callable[[str, int, int], None] | None = None) -> Stage | str:
    """Load the file's data rows into ``import_rows``: line, field count, whether the line has
    non-ASCII characters, and the canonical columns stripped (amounts with decimal commas read as
    the mapping says). Returns the Stage, or why the file cannot be staged."""
    stage = Stage(width=len(source.header), delimiter=source.delimiter, source=source)
    params: dict[str, object] = {"space": ASCII_SPACE}
    if is_postgres():
        tune_postgres()
        reason = _copy_postgres(source, stage, progress)
        if reason:
            return reason
        columns = _canonical(lambda index: f"f.f[{index + 1}]", positions, defaults, decimal_comma, params)
        params["delimiter"] = _JOINER if stage.joined else stage.delimiter
        execute(temp_table("import_rows", f"""AS SELECT r.line, cardinality(f.f) AS nf,
            CASE WHEN octet_length(r.raw) <> length(r.raw) THEN 1 ELSE 0 END AS nonascii, {columns}
            FROM import_raw r CROSS JOIN LATERAL string_to_array(r.raw, %(delimiter)s) AS f(f)
            WHERE r.line > 1 AND r.raw <> ''"""), params)
        return stage
    return _load_sqlite(source, stage, positions, defaults, decimal_comma, params, progress)


def tune_postgres() -> None:
    """Memory for the set-based steps, for this transaction: hash aggregates and joins over a million
    rows in memory rather than in temporary files, and temporary tables held in local buffers
    (settable only before the session's first temporary table; a later import keeps what it has)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{_PG_WORK_MEM}'")
        cursor.execute("SELECT current_setting('temp_buffers')")
        try:
            with transaction.atomic():
                cursor.execute(f"SET LOCAL temp_buffers = '{_PG_TEMP_BUFFERS}'")
        except DatabaseError:
            pass


def _canonical(field: Callable[[int], str], positions: dict[str, int], defaults: dict[str, str],
               decimal_comma: bool | None, params: dict[str, object]) -> str:
    """The select list of the canonical columns from the file's fields (SQL of ``field(index)``)."""
    selected = []
    for column in ITEM_COLUMNS:
        if column in positions:
            value = _strip(field(positions[column]))
        elif column in defaults:
            params[f"default_{column}"] = defaults[column]
            value = f"CAST(%(default_{column})s AS TEXT)"
        else:
            value = "CAST(NULL AS TEXT)"
        if column in ("amount", "open_amount", "amount_entity"):
            value = _decimal_comma(value, decimal_comma)
        selected.append(f"({value}) AS {column}")
    return ", ".join(selected)


def _copy_postgres(source: CsvText, stage: Stage, progress: Callable[[str, int, int], None] | None) -> str | None:
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
    return None


def _load_sqlite(source: CsvText, stage: Stage, positions: dict[str, int], defaults: dict[str, str],  # noqa: PLR0913
                 decimal_comma: bool | None, params: dict[str, object],
                 progress: Callable[[str, int, int], None] | None) -> Stage | str:
    """The csv module's records straight into ``import_rows`` by ``executemany``: the stripping and
    the rest is SQL on the bound fields, so no Python code runs per row."""
    width = stage.width
    space = "'" + ASCII_SPACE.replace("'", "''") + "'"
    columns = _canonical(lambda index: f"?{index + 1}", positions, defaults, decimal_comma, params)
    columns = columns.replace("%(space)s", space)
    values = []
    for name in ITEM_COLUMNS:  # defaults: constants of the mapping, as literals of their own parameter number
        key = f"%(default_{name})s"
        if key in columns:
            values.append(params[f"default_{name}"])
            columns = columns.replace(key, f"?{width + len(values)}")
    names = ", ".join(f"{column}" for column in ITEM_COLUMNS)
    lengths = " + ".join(f"length(?{n + 1})" for n in range(width))
    octets = " + ".join(f"length(CAST(?{n + 1} AS BLOB))" for n in range(width))
    select = ", ".join(part.rsplit(" AS ", 1)[0] for part in _split_columns(columns))
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA temp.cache_size = -{_SQLITE_TEMP_CACHE_KIB}")
        cursor.execute(f"CREATE TEMPORARY TABLE import_rows (line INTEGER PRIMARY KEY, nf INTEGER, nonascii INTEGER, "
                       f"{', '.join(f'{column} TEXT' for column in ITEM_COLUMNS)})")
        cursor.execute("INSERT INTO import_rows (line) VALUES (1)")  # the header's line: data rows number from 2
        if source.quoted:
            reader: Iterable[list[str]] = csv.reader(io.StringIO(source.text, newline=""), delimiter=source.delimiter)
        else:
            reader = csv.reader(io.StringIO(source.text), delimiter=source.delimiter, quoting=csv.QUOTE_NONE)
        rows = iter(reader)
        next(rows, None)  # the header
        if values:
            rows = (record + values for record in rows)  # type: ignore[assignment]
        if progress:
            progress("loading", 0, source.row_count)
        try:
            cursor.cursor.executemany(
                f"INSERT INTO import_rows (nf, nonascii, {names}) VALUES ({width}, "
                f"CASE WHEN {lengths} <> {octets} THEN 1 ELSE 0 END, {select})", rows)
        except (sqlite3.ProgrammingError, csv.Error):
            return "a row with another number of fields than the header, a blank line or bad CSV"
        cursor.execute("DELETE FROM import_rows WHERE line = 1")
        cursor.execute("SELECT COUNT(*) FROM import_rows")
        staged = cursor.fetchone()[0]
    if staged != source.row_count:
        return "a quoted field spans lines"
    if progress:
        progress("loading", staged, source.row_count)
    return stage


def _split_columns(columns: str) -> list[str]:
    """Split a select list made by ``_canonical`` at its top-level commas."""
    parts, depth, current = [], 0, []
    for char in columns:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


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


def _exotic_ends() -> str:
    """SQL true when a stripped value of a non-ASCII row starts or ends with a character
    ``str.strip`` removes but the SQL trim does not (a no-break space, say): the per-row check decides."""
    tests = []
    for column in ITEM_COLUMNS:
        if is_postgres():
            tests.append(f"r.{column} ~ %(exotic)s")
        else:
            tests.append(f"r.{column} GLOB %(exotic_start)s OR r.{column} GLOB %(exotic_end)s")
    return f"(r.nonascii = 1 AND ({' OR '.join(tests)}))"


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
    inner = f"""SELECT r.line, r.nf, CASE WHEN {_exotic_ends()} THEN 1 ELSE 0 END AS exotic, r.entity, r.account,
        k.kind, COALESCE(k.known, 0) AS known, r.number,
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
        LEFT JOIN import_dates dc ON dc.text = r.cleared_date AND r.cleared_date <> ''
        {'OFFSET 0' if is_postgres() else 'LIMIT -1 OFFSET 0'}"""  # evaluated once per row, not per use
    columns = ("line", "entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
               "erp_open", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")
    execute(temp_table("import_checked", f"""AS SELECT {', '.join('x.' + c for c in columns)},
        CASE WHEN x.amount = x.erp_open THEN NULL ELSE {cleared} END AS cleared_amount,
        CASE WHEN {clean} THEN 1 ELSE 0 END AS clean,
        1 AS has_key FROM ({inner}) x"""),
            {"exotic": f"^[{EXOTIC_SPACE}]|[{EXOTIC_SPACE}]$", "exotic_start": f"[{EXOTIC_SPACE}]*",
             "exotic_end": f"*[{EXOTIC_SPACE}]"})
    analyze("import_checked (entity, kind, number)")
