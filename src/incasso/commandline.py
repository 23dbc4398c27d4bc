"""What every `incasso` command shares when it reads its arguments."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError


def parse_date(text: str, option: str = "--as-of") -> date:
    """A business date from the command line, or a CommandError naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date: use YYYY-MM-DD") from None
