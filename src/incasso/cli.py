"""The ``incasso`` command: Django's management commands under one name.

``incasso import items FILE``, ``incasso report aging ...``, ``incasso migrate`` and the rest are
management commands in the apps' ``management/commands``; this entry point only sets the settings
module and checks that the database is initialised before commands that need it.
"""

from __future__ import annotations

import os
import sys

# Commands that work on an empty or missing database.
_NO_DATABASE_NEEDED = {
    "migrate", "makemigrations", "help", "version", "check", "shell", "dbshell", "generate",
    "compilemessages", "makemessages", "collectstatic", "demo", "showmigrations", "sqlmigrate",
    "test", "diffsettings", "bank",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incasso.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"incasso: configuration error: {exc}\n")
        raise SystemExit(2) from None
    if _needs_database(argv):
        _require_migrated_database()
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _needs_database(argv: list[str]) -> bool:
    command = argv[1] if len(argv) > 1 else "help"
    if command.startswith("-") or "-h" in argv[2:] or "--help" in argv[2:]:
        return False
    if command == "bank":  # inspecting a file needs no database; importing one does
        return len(argv) > 2 and argv[2] == "import"
    return command not in _NO_DATABASE_NEEDED


def _require_migrated_database() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import OperationalError

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except OperationalError as exc:
        sys.stderr.write(
            f"incasso: cannot open the database ({exc}).\n"
            "Check INCASSO_DATABASE_URL, then create it with: incasso migrate\n"
        )
        raise SystemExit(2) from None
    if pending:
        sys.stderr.write(
            f"incasso: the database at {connection.settings_dict['NAME']} is not initialised or not "
            f"up to date ({len(pending)} migration(s) pending).\nRun: incasso migrate\n"
        )
        raise SystemExit(2)


if __name__ == "__main__":
    main()
