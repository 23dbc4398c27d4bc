"""``incasso api token create|list|revoke``: personal API tokens from the command line."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.accounts.models import ApiToken
from incasso.accounts.tokens import TokenError, create_api_token, revoke_api_token
from incasso.audit.events import Actor


class Command(BaseCommand):
    help = "REST API: create, list and revoke personal API tokens (the API is at /api/v1/, see docs/api.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        area = parser.add_subparsers(dest="area", required=True)
        token = area.add_parser("token", help="personal API tokens")
        verbs = token.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="create a token; it is printed once and never shown again")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", required=True, help="what the token is for, e.g. 'ERP export'")
        listing = verbs.add_parser("list", help="a user's tokens (never the tokens themselves)")
        listing.add_argument("--user", required=True)
        revoke = verbs.add_parser("revoke", help="revoke a token by its id (from `list`)")
        revoke.add_argument("id", type=int)

    def _user(self, username: str):  # type: ignore[no-untyped-def]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no user {username!r}")
        return user

    def handle(self, *args: object, **options: object) -> None:
        verb = options["verb"]
        by = Actor(None, "cli")
        try:
            if verb == "create":
                user = self._user(str(options["user"]))
                token, raw = create_api_token(user, str(options["name"]), by=by)
                self.stderr.write(f"API token {token.pk} {token.name!r} for {user.get_username()}; "
                                  "store it now, it is not shown again:")
                self.stdout.write(raw)
            elif verb == "list":
                user = self._user(str(options["user"]))
                for token in ApiToken.objects.filter(user=user):
                    state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
                    used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                    self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\tcreated "
                                      f"{token.created_at:%Y-%m-%d %H:%M}\tlast used {used}\t{state}")
            else:
                token = revoke_api_token(int(options["id"]), by=by)  # type: ignore[arg-type]
                self.stdout.write(f"API token {token.pk} {token.name!r} of {token.user.get_username()} revoked")
        except TokenError as error:
            raise CommandError(str(error)) from None
