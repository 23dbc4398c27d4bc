"""The user's own settings: personal API tokens (create, shown once; revoke)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.accounts.models import ApiToken
from incasso.accounts.tokens import MAX_NAME_LENGTH, TokenError, create_api_token, revoke_api_token
from incasso.audit.events import Actor


def api_tokens(request: Any) -> HttpResponse:
    new_token, error, status = "", "", 200
    if request.method == "POST":
        try:
            _token, new_token = create_api_token(request.user, request.POST.get("name", ""),
                                                 by=Actor.of(request.user))
        except TokenError:
            error, status = _("Give the token a name that says what it is for."), 400
    return render(request, "accounts/api_tokens.html", status=status, context={
        "tokens": ApiToken.objects.filter(user=request.user), "new_token": new_token, "error": error,
        "max_name_length": MAX_NAME_LENGTH,
    })


@require_POST
def revoke_token(request: Any, pk: int) -> HttpResponse:
    try:
        token = revoke_api_token(pk, by=Actor.of(request.user), owner=request.user)
    except TokenError:
        raise Http404("no such token of yours") from None
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")
