"""incasso dunning propose|approve|send|show|bounce: thin callers of the dunning actions."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.audit.events import SYSTEM, Actor
from incasso.commandline import parse_date
from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.actions.review import approve_run
from incasso.dunning.actions.sending import record_bounce
from incasso.dunning.errors import DunningError
from incasso.dunning.models import Run
from incasso.dunning.queries import run_as_dict


class Command(BaseCommand):
    help = "Dunning runs: propose, approve, send, show."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        propose = sub.add_parser("propose", help="propose a run as of a date")
        propose.add_argument("--as-of", required=True, type=parse_date)
        propose.add_argument("--entity", action="append", default=[], help="entity code (repeatable)")
        propose.add_argument("--segment", action="append", default=[], help="customer segment (repeatable)")
        propose.add_argument("--format", choices=["text", "json"], default="text")
        propose.add_argument("--user", help="the proposer's user name (default: system)")
        approve = sub.add_parser("approve", help="approve a proposed run")
        approve.add_argument("run", type=int)
        approve.add_argument("--user", required=True, help="the approver's user name")
        send = sub.add_parser("send", help="send an approved run (resumes an interrupted one)")
        send.add_argument("run", type=int)
        send.add_argument("--user", help="who releases the letters (default: system)")
        mode = send.add_mutually_exclusive_group()
        mode.add_argument("--wait", action="store_true", help="queue as a background job and show its progress")
        mode.add_argument("--inline", action="store_true", help="send in this process with a progress bar")
        show = sub.add_parser("show", help="show a run")
        show.add_argument("run", type=int)
        show.add_argument("--format", choices=["text", "json"], default="text")
        bounce = sub.add_parser("bounce", help="record a bounced letter e-mail by its Message-ID")
        bounce.add_argument("message_id")
        bounce.add_argument("--reason", required=True)

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return SYSTEM
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no user {username!r}")
        return Actor.of(user)

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            handlers = {"propose": self._propose, "approve": self._approve, "send": self._send,
                        "show": self._show, "bounce": self._bounce}
            handlers[options["verb"]](options)
        except DunningError as error:
            raise CommandError(str(error)) from None

    def _propose(self, options) -> None:  # type: ignore[no-untyped-def]
        run = propose_run(options["as_of"], by=self._actor(options["user"]), entity_codes=options["entity"],
                          segments=options["segment"])
        self._print(run, options["format"])

    def _approve(self, options) -> None:  # type: ignore[no-untyped-def]
        run = approve_run(options["run"], by=self._actor(options["user"]))
        self.stdout.write(f"Run {run.pk} approved by {options['user']}")

    def _send(self, options) -> None:  # type: ignore[no-untyped-def]
        from incasso.dunning.jobs import send_with_progress

        send_with_progress(options["run"], by=self._actor(options["user"]), wait=options["wait"],
                           inline=options["inline"], stdout=self.stdout)

    def _show(self, options) -> None:  # type: ignore[no-untyped-def]
        run = Run.objects.filter(pk=options["run"]).first()
        if run is None:
            raise CommandError(f"no dunning run {options['run']}")
        self._print(run, options["format"])

    def _bounce(self, options) -> None:  # type: ignore[no-untyped-def]
        letter = record_bounce(options["message_id"], reason=options["reason"], by=SYSTEM)
        self.stdout.write(f"Letter {letter.pk} marked bounced")

    def _print(self, run: Run, fmt: str) -> None:
        data = run_as_dict(run)
        if fmt == "json":
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"Run {data['run']} as of {data['as_of']} ({data['status']}): "
                          f"{len(data['letters'])} letters, {len(data['exceptions'])} exceptions")
        for letter in data["letters"]:
            self.stdout.write(f"  {letter['customer']:<12} L{letter['level']} {letter['currency']} "
                              f"{letter['total']:>14} {letter['language']} {letter['email'] or '-'} "
                              f"[{letter['status']}] {len(letter['items'])} items")
        for e in data["exceptions"]:
            self.stdout.write(f"  ! {e['customer']:<12} {e['code']}: {e['reason']}")
