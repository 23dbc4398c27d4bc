"""Bulk writes for large imports, one code path per database.

PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg 3) for inserts and a temporary table plus
``UPDATE ... FROM`` for updates; SQLite gets ``executemany`` of one prepared statement inside the
caller's transaction. Table and column names come from our own code only; values are always
parameters or COPY data, never spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


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


def reserve_ids(table: str, count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will use; needs the import lock."""
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            if count > 1:
                # Safe only because the table is locked: no INSERT can draw from the sequence now.
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        return max(highest, row[0] if row else 0) + 1


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in columns)
            cursor.cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows)


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

