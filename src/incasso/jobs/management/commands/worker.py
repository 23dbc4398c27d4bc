"""incasso worker [--once] [--poll S]: run queued background jobs."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from incasso.jobs.actions import work


class Command(BaseCommand):
    help = "Run queued background jobs (dunning sends, ...). --once: run what is queued and stop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between looks at the queue")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if options["once"]:
            self.stdout.write(f"{work()} job(s) run")
            return
        self.stdout.write("Worker started; Ctrl+C stops it")
        try:
            while True:
                if not work():
                    time.sleep(options["poll"])
        except KeyboardInterrupt:
            self.stdout.write("Worker stopped")
