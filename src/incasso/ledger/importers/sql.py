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

from django.db import connection

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
def bulk_session() -> Iterator[None]:
    """Tune the connection for one bulk import and put it back afterwards.

    SQLite's default page cache (2 MiB) makes every index insert of a large import a page read once
    the indexes outgrow it; during the import it gets a large one. PostgreSQL needs nothing here.
    """
    if is_postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{_SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


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
