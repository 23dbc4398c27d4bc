"""The REST API at ``/api/v1/``: one NinjaAPI with every app's router, one error body for all.

It lives in ``web`` because that is the layer allowed to import every app. The routers are the
apps' ``api.py``; this module only assembles them, chooses the authentication (personal token or
browser session, see ``incasso.accounts.api``) and turns every refusal into
``{"code", "message", "field"}`` with the app's stable error code and its HTTP status.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from incasso.accounts.api import API_AUTH, ApiError, status_for
from incasso.accounts.api import router as accounts_router
from incasso.cashapp.api import router as cashapp_router
from incasso.cashapp.errors import CashError
from incasso.collections.api import router as collections_router
from incasso.collections.errors import CollectionsError
from incasso.core.aging import AgingError
from incasso.core.kpi import KpiError
from incasso.disputes.api import router as disputes_router
from incasso.disputes.errors import DisputeError
from incasso.dunning.api import router as dunning_router
from incasso.dunning.errors import DunningError
from incasso.ledger.api import router as ledger_router
from incasso.ledger.errors import LedgerError
from incasso.reports.api import router as reports_router

API_DESCRIPTION = """\
Incasso's REST API: the same queries, actions and permissions as the screens and the CLI.

Authenticate with a personal API token (`Authorization: Bearer inc_...`, created under *API tokens*
in the user menu or with `incasso api token create`) or, from the browser, with the session.
Every error is `{"code", "message", "field"}`; `code` is stable (see docs/api.md).
"""

api = NinjaAPI(
    title="Incasso API", version="1", description=API_DESCRIPTION, auth=API_AUTH, urls_namespace="api",
    openapi_url="/openapi.json", docs_url="/docs",
)

api.add_router("/", ledger_router)
api.add_router("/", reports_router)
api.add_router("/", collections_router)
api.add_router("/", disputes_router)
api.add_router("/", cashapp_router)
api.add_router("/", dunning_router)
api.add_router("/", accounts_router)


def _error(request: Any, code: str, message: str, status: int, field: str | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: Any, exc: ApiError) -> HttpResponse:
    return _error(request, exc.code, exc.message, exc.status, exc.field)


def _domain_error(request: Any, exc: Any) -> HttpResponse:
    code = str(exc.code.value if hasattr(exc.code, "value") else exc.code)
    return _error(request, code, exc.message, status_for(code))


for _error_class in (LedgerError, CollectionsError, DisputeError, CashError, DunningError):
    api.add_exception_handler(_error_class, _domain_error)


@api.exception_handler(KpiError)
def _kpi_error(request: Any, exc: KpiError) -> HttpResponse:
    return _error(request, "invalid_parameters", str(exc), 422)


@api.exception_handler(AgingError)
def _aging_error(request: Any, exc: AgingError) -> HttpResponse:
    return _error(request, "invalid_parameters", str(exc), 422)


def _field_of(location: Any) -> str:
    # ("query", "page") -> "page"; ("body", "payload", "lines", 0, "amount") -> "lines.0.amount"
    parts = [str(p) for p in location if p not in ("query", "body", "path", "payload", "filters", "paging")]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request: Any, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {"loc": (), "msg": "invalid request"}
    field = _field_of(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    return _error(request, "invalid", f"{field}: {message}" if field else message, 422, field or None)


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: Any, exc: AuthenticationError) -> HttpResponse:
    return _error(request, "not_authenticated", "sign in, or send a personal API token as 'Authorization: Bearer'",
                  401)


@api.exception_handler(HttpError)
def _http_error(request: Any, exc: HttpError) -> HttpResponse:
    code = "csrf_failed" if exc.status_code == 403 and "CSRF" in str(exc) else "http_error"
    return _error(request, code, str(exc), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: Any, exc: Http404) -> HttpResponse:
    return _error(request, "not_found", str(exc) or "not found", 404)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: Any, exc: PermissionDenied) -> HttpResponse:
    return _error(request, "not_allowed", str(exc) or "not allowed", 403)


def _open_to_api_clients(patterns: list[Any]) -> list[Any]:
    """Exempt the API's views from LoginRequiredMiddleware: a token client has no session, and an
    anonymous call must get a JSON 401, not a redirect to the login page. The API's own
    authentication guards every operation; the schema and the docs page describe the code, which is
    public, and hold no data."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _open_to_api_clients(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback.login_required = False
    return patterns


_patterns, _app_name, _namespace = api.urls
urls = (_open_to_api_clients(_patterns), _app_name, _namespace)
