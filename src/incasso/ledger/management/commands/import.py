"""``incasso import entities|customers|contacts|items FILE``: load an ERP extract, all or nothing."""

from __future__ import annotations

import sys
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.audit.events import Actor
from incasso.core.erp_rows import MappingError
from incasso.ledger.actions.imports import KINDS, ImportReport, import_erp_file
from incasso.ledger.importers import load_mapping
from incasso.ledger.importers.readers import FORMATS


class Command(BaseCommand):
    help = (
        "Import an ERP extract (CSV, XLSX or JSON; see docs/formats.md). The whole file is checked first: "
        "any rejected row means nothing is written and the command exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and show what would change; write nothing")
        parser.add_argument("--mapping", help="JSON file mapping another column layout (e.g. SAP FBL5N)")
        parser.add_argument("--format", dest="file_format", choices=FORMATS, help="default: from the content")
        parser.add_argument("--as-of", type=date.fromisoformat,
                            help="date of the ERP clearings and reversals (default: each entity's local today)")
        parser.add_argument("--user", help="username recorded as the importer (default: the import job)")
        parser.add_argument("--staged", action="store_true",
                            help="items from CSV: load the file into a staging table and check it set-based in "
                                 "the database (same checks and messages; see docs/formats.md)")

    def handle(self, *args: object, **options: object) -> None:
        by = Actor(None, "import")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"unknown user {options['user']!r}")
            by = Actor.of(user)
        mapping = None
        if options["mapping"]:
            try:
                mapping = load_mapping(str(options["mapping"]))
            except MappingError as exc:
                raise CommandError(str(exc)) from None
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False
        with _ProgressBar(enabled=interactive) as bar:
            report = import_erp_file(
                str(options["kind"]), str(options["file"]), by=by, dry_run=bool(options["dry_run"]),
                mapping=mapping, file_format=options["file_format"], as_of=options["as_of"],  # type: ignore[arg-type]
                progress=bar.update if interactive else None, staged=bool(options["staged"]),
            )
        if not report.ok:
            for line in report.errors:
                self.stderr.write(line)
            self.stderr.write(f"{report.file_name}: {len(report.errors)} error(s); nothing was imported")
            sys.exit(1)
        self._summary(report)

    def _summary(self, report: ImportReport) -> None:
        if report.dry_run:
            self.stdout.write(f"dry run of {report.kind} from {report.file_name} ({report.detail}): nothing written")
            for line in report.planned:
                self.stdout.write(f"  would {line}")
            more = report.created + report.updated - len(report.planned)
            if more > 0:
                self.stdout.write(f"  ... and {more} more")
        verb = "would be " if report.dry_run else ""
        self.stdout.write(
            f"{report.file_name}: {report.rows} rows, {verb}created {report.created}, {verb}updated {report.updated}, "
            f"unchanged {report.unchanged}; ERP allocations {verb}created {report.allocations_created}, "
            f"{verb}reversed {report.allocations_reversed}; {report.seconds:.2f} s, "
            f"{report.rows_per_second:,.0f} rows/s"
        )
        if report.path.startswith("per row ("):
            self.stdout.write(f"{report.file_name}: imported row by row: the staged path does not apply "
                              f"({report.path.removeprefix('per row (')}")


class _ProgressBar:
    """A rich progress bar on a terminal; silent when output goes to a file or a pipe."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = None
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import Progress

            self.progress = Progress(transient=True)
            self.progress.start()
        return self

    def update(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=max(total, done, 1))
        self.progress.update(self.tasks[stage], completed=done, total=max(total, done, 1))  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
