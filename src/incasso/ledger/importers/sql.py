"""Bulk writes for large imports, one code path per database.

PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg 3) fed with text lines built in big chunks, and a
temporary table plus ``UPDATE ... FROM`` for updates; SQLite gets ``executemany`` of one prepared
statement inside the caller's transaction, with a large page cache for the duration. Values are
text (dates ``YYYY-MM-DD``, amounts ``1234.50``), ints or None: both databases read such text into
their date and numeric columns exactly as Django would have written the Python values. Table and
column names come from our own code only; values are always parameters or COPY data, never
spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import IntegrityError, connection

_COPY_CHUNK = 8192  # lines per write to the COPY stream
_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SQLITE_IMPORT_CACHE_KIB = 512 * 1024  # 512 MiB of page cache: a million items and their indexes stay in memory


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def lock_for_import(*tables: str) -> None:
    """Keep other writers out of ``tables`` until the import commits (readers go on).

    The import reads open amounts and allocations, then writes figures computed from them; a cash
    application committed in between would be overwritten. On SQLite the IMMEDIATE transaction mode
    already serialises writers.
    """
    if is_postgres():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


@contextmanager
def bulk_session(*, relax_foreign_keys: bool = False) -> Iterator[None]:
    """Tune the connection for one bulk import and put it back afterwards.

    SQLite's default page cache (2 MiB) makes every index insert of a large import a page read once
    the indexes outgrow it; during the import it gets a large one. With ``relax_foreign_keys`` its
    per-row foreign key checks are switched off as well (possible only outside a transaction; inside
    one, as in the test suite, the pragma is a no-op and the checks stay on): the import must then
    call :func:`check_foreign_keys` before it commits. PostgreSQL needs nothing here.
    """
    if is_postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{_SQLITE_IMPORT_CACHE_KIB}")
        if relax_foreign_keys:
            cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            if relax_foreign_keys:
                cursor.execute("PRAGMA foreign_keys = ON")


def date_text(column: str) -> str:
    """SQL for a date column read back as ``YYYY-MM-DD`` text (or NULL)."""
    return f"{column}::text" if is_postgres() else f"CAST({column} AS TEXT)"


def amount_text(column: str) -> str:
    """SQL for a two-decimal money column read back as text with two decimals (``1000.00``) or NULL,
    the form the import compares with. SQLite keeps such columns as INTEGER or REAL."""
    if is_postgres():
        return f"{column}::text"
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE printf('%.2f', {column}) END"


def datetime_value(value: datetime) -> str:
    """A timestamp as the database's datetime column takes it from COPY or executemany."""
    return value.isoformat() if is_postgres() else connection.ops.adapt_datetimefield_value(value)


def first_free_id(table: str) -> int:
    """The primary key the next inserted row of ``table`` may take; needs the import lock on PostgreSQL.

    The caller numbers its new rows from here and then calls :func:`claim_ids`."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            return cursor.fetchone()[0]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        return max(highest, row[0] if row else 0) + 1


def draw_ids(table: str, count: int) -> list[int]:
    """``count`` new primary keys of ``table`` drawn from its id sequence (PostgreSQL), for rows that a
    ``COPY`` writes with their ids; unlike :func:`first_free_id` it needs no lock, and the ids need not
    be consecutive."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def claim_ids(table: str, first: int, count: int) -> None:
    """Move ``table``'s id sequence past the ``count`` rows numbered from ``first``.

    Safe only under the import lock: no other INSERT can draw from the sequence meanwhile. SQLite's
    AUTOINCREMENT counter follows explicit ids by itself."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, first + count])


def _copy_line(row: Sequence[object], tabs: int) -> str:
    line = "\t".join([_COPY_NULL if value is None else value for value in row])  # type: ignore[misc]
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != tabs:
        line = "\t".join([_COPY_NULL if value is None else value.translate(_COPY_ESCAPES)  # type: ignore[union-attr]
                          for value in row])
    return line


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert ``rows`` (consumed lazily, so the caller may still be reading its file); returns how many.

    On PostgreSQL every value must be text or None (ints as text): they go to COPY's text format."""
    column_list = ", ".join(columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            tabs = len(columns) - 1
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                chunk: list[str] = []
                for row in rows:
                    chunk.append(_copy_line(row, tabs))
                    if len(chunk) == _COPY_CHUNK:
                        count += len(chunk)
                        chunk.append("")
                        copy.write("\n".join(chunk))
                        chunk = []
                if chunk:
                    count += len(chunk)
                    chunk.append("")
                    copy.write("\n".join(chunk))
        else:
            def counted() -> Iterator[Sequence[object]]:
                nonlocal count
                for row in rows:
                    count += 1
                    yield row

            placeholders = ", ".join("?" for _ in columns)
            cursor.cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", counted())
    return count


def _copy_column(values: list[object]) -> list[object]:
    """One column made COPY text: escaped where needed, None as ``\\N``."""
    nulls = None in values
    texts = [value for value in values if value is not None] if nulls else values
    joined = "\x00".join(texts)  # type: ignore[arg-type]
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        values = [None if value is None else value.translate(_COPY_ESCAPES) for value in values]  # type: ignore[union-attr]
    if nulls:
        values = [_COPY_NULL if value is None else value for value in values]
    return values


def insert_columns(table: str, columns: Sequence[str], blocks: Iterable[Sequence[list[object]]]) -> int:
    """Insert blocks of rows given column by column (each block: one list per column, all of one
    length; consumed lazily); returns how many rows. The rows are put together by ``zip`` and, on
    PostgreSQL, ``str.join``, so no Python code runs per row. Values as for :func:`insert_rows`."""
    column_list = ", ".join(columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            from psycopg.copy import QueuedLibpqWriter

            # A writer thread sends each block while this thread puts the next one together (and the
            # caller checks it): the client and the server's COPY work on the two cores at once.
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({column_list}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for block in blocks:
                    if not block or not block[0]:
                        continue
                    count += len(block[0])
                    copy.write("\n".join(map("\t".join, zip(*map(_copy_column, block), strict=True))) + "\n")  # type: ignore[arg-type]
        else:
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"
            for block in blocks:
                if block and block[0]:
                    count += len(block[0])
                    cursor.cursor.executemany(sql, zip(*block, strict=True))
    return count


_ARROW_COPY_BATCH = 100_000  # rows per piece of CSV text handed to the COPY writer thread


def insert_arrow(table: str, columns: Sequence[str], values: Sequence[object], *, plain: bool) -> int:
    """PostgreSQL only: insert rows given as Arrow string arrays (one per column, all of one length,
    null for NULL); returns how many. Arrow's CSV writer puts them together, batch by batch, and
    psycopg's writer thread sends them, so the server parses one batch while the next is written.
    ``plain`` (no value holds a backslash, tab or line end): COPY's text format, tab-delimited, NULL
    as ``\\N``, values as they are (the server parses it faster than CSV); otherwise
    ``FORMAT csv``, every text quoted, so an empty text stays empty and only an unquoted empty field
    is NULL."""
    import pyarrow as pa
    import pyarrow.csv as csv
    from psycopg.copy import QueuedLibpqWriter

    rows = pa.Table.from_arrays(list(values), names=[f"c{index}" for index in range(len(columns))])  # type: ignore[arg-type]
    if plain:
        options = csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none",
                                   null_string=_COPY_NULL)
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    else:
        options = csv.WriteOptions(include_header=False, delimiter=",", quoting_style="needed")
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(statement, writer=QueuedLibpqWriter(raw)) as copy:
            for start in range(0, rows.num_rows, _ARROW_COPY_BATCH):
                sink = pa.BufferOutputStream()
                csv.write_csv(rows.slice(start, _ARROW_COPY_BATCH), sink, options)
                copy.write(sink.getvalue().to_pybytes())
    return rows.num_rows


def update_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Update ``columns`` of the rows whose ``id`` is the first value of each tuple."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            staging = f"import_{table}_update"
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                f"SELECT id, {', '.join(columns)} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {staging} (id, {', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{column} = s.{column}" for column in columns)
            cursor.execute(f"UPDATE {table} t SET {assignments} FROM {staging} s WHERE t.id = s.id")
            cursor.execute(f"DROP TABLE {staging}")
        else:
            assignments = ", ".join(f"{column} = ?" for column in columns)
            cursor.cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = ?", (tuple(row[1:]) + (row[0],) for row in rows)
            )


# -- bulk load: indexes and foreign keys off for the load, rebuilt in the same transaction -------

_PG_MAINTENANCE_WORK_MEM = "256MB"  # index builds sort in memory instead of in temporary files


class BulkLoad:
    """Drop the secondary indexes and the foreign keys of some tables for one large load and rebuild
    them, all inside the caller's transaction: a rollback (a rejected row, a failed check) brings the
    schema back as it was, and a commit leaves it identical.

    The definitions are read from the database's own catalog just before the drop (``pg_indexes``
    and ``pg_get_constraintdef`` on PostgreSQL, ``sqlite_master`` on SQLite) and replayed verbatim,
    so the rebuilt objects carry the names and definitions the migrations created, whatever they are.

    PostgreSQL: drops the secondary indexes and foreign keys of ``tables`` and the UNIQUE constraints
    of ``unique_dropped`` (for the item import: ledger_item's entity and customer keys, the unique
    (entity, kind, number), ledger_allocation's item and user keys and indexes; its unique
    idempotency key stays). ``finish`` re-adds the unique constraints (a duplicate fails the
    transaction), builds the indexes with a larger ``maintenance_work_mem``, and re-adds each
    foreign key ``NOT VALID`` followed by ``VALIDATE CONSTRAINT``: one set-based check instead of a
    trigger call per row. The DDL takes ACCESS EXCLUSIVE locks on ledger_item and ledger_allocation
    (readers wait too, until commit) and SHARE ROW EXCLUSIVE on the tables they refer to
    (customers, entities, users).

    SQLite: drops the secondary indexes of ``tables`` (unique constraints are part of the table and
    stay) and recreates them from their ``CREATE INDEX`` text. Foreign keys cannot be switched
    off inside a transaction; :func:`bulk_session` does it before the transaction when asked, and
    :func:`check_foreign_keys` then checks the tables at the end.
    """

    def __init__(self, tables: Sequence[str], unique_dropped: Sequence[str] = ()) -> None:
        self.tables = list(tables)
        self.unique_dropped = list(unique_dropped)  # tables whose UNIQUE constraints go too (PostgreSQL)
        self.active = False
        self._indexes: list[str] = []  # CREATE INDEX statements
        self._uniques: list[tuple[str, str, str]] = []  # table, name, definition
        self._foreign_keys: list[tuple[str, str, str]] = []  # table, name, definition

    def begin(self) -> None:
        if self.active:
            return
        self.active = True
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if is_postgres():
                cursor.execute("SET LOCAL synchronous_commit = off")  # only commit latency is at stake
                # ALTER TABLE refuses a table with pending deferred checks (rows this transaction wrote
                # before the switch): run them now. ``finish`` defers again, which is every deferrable
                # constraint's initial mode here (Django's foreign keys are INITIALLY DEFERRED).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%s::regclass[]) "
                    "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
                    "WHERE k.conindid = i.indexrelid) ORDER BY c.relname", [self.tables])
                indexes = cursor.fetchall()
                self._indexes = [definition for _name, definition in indexes]
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u' ORDER BY 1, 2", [self.unique_dropped])
                self._uniques = cursor.fetchall()
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f' ORDER BY 1, 2", [self.tables])
                self._foreign_keys = cursor.fetchall()
                for table, name, _definition in self._foreign_keys + self._uniques:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                               f"AND tbl_name IN ({', '.join('%s' for _ in self.tables)}) ORDER BY name",
                               self.tables)
                indexes = cursor.fetchall()
                self._indexes = [definition for _name, definition in indexes]
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def finish(self) -> None:
        """Rebuild what ``begin`` dropped; raises ``IntegrityError`` if the loaded rows break a rule."""
        if not self.active:
            return
        self.active = False
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if is_postgres():
                cursor.execute(f"SET LOCAL maintenance_work_mem = '{_PG_MAINTENANCE_WORK_MEM}'")
                for table, name, definition in self._uniques:
                    cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            for definition in self._indexes:
                cursor.execute(definition)
            if is_postgres():
                for table, name, definition in self._foreign_keys:
                    cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition} NOT VALID")
                for table, name, _definition in self._foreign_keys:
                    cursor.execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def foreign_keys_enforced() -> bool:
    if is_postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


def check_foreign_keys(*tables: str) -> None:
    """On a SQLite connection whose foreign keys :func:`bulk_session` switched off, check ``tables``
    in one pass each; raise ``IntegrityError`` naming the first broken reference."""
    if foreign_keys_enforced():
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"PRAGMA foreign_key_check({connection.ops.quote_name(table)})")
            broken = cursor.fetchone()
            if broken:
                raise IntegrityError(f"{table} row {broken[1]} refers to a missing {broken[2]} row")
