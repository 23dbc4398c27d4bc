from allauth.account.adapter import DefaultAccountAdapter


class NoSignupAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators; nobody signs themselves up to a ledger."""

    def is_open_for_signup(self, request):  # type: ignore[no-untyped-def]
        return False
