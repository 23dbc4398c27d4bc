"""REST endpoints of reporting: the aging and the KPIs of a period.

The aging is restricted as on the aging page: a collector ages their own portfolio, the roles that
see every account age everything. KPIs cover the whole book, so they are for those roles only (as
the KPI dashboard).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from incasso.accounts.api import ERRORS, ApiError, ObjectId, PageOut, PageQuery, require
from incasso.accounts.rules import sees_all_accounts
from incasso.ledger.models import LegalEntity
from incasso.reports.aging import aging_report
from incasso.reports.kpis import KpiParams, kpi_table
from incasso.reports.kpis.render import as_json

router = Router(tags=["reports"])


class AgingQuery(Schema):
    as_of: date | None = Field(None, description="default: today in each entity's timezone")
    by: Literal["customer", "entity", "collector", "currency"] = "customer"
    basis: Literal["due_date", "document_date"] = "due_date"
    entity: ObjectId | None = Field(None, description="legal entity id")
    reporting_currency: str | None = Field(None, pattern="^[A-Z]{3}$",
                                           description="ISO code; convert with the stored rates on the as-of date")


class AgingRowOut(Schema):
    group: str
    currency: str
    amounts: list[Decimal] = Field(description="one amount per bucket, in the order of 'buckets'")
    total: Decimal
    overdue: Decimal
    item_count: int


class AgingOut(PageOut):
    as_of: date
    basis: str
    buckets: list[str]
    as_of_by_entity: dict[str, date]
    restricted_to_portfolio: bool
    totals: list[AgingRowOut]
    results: list[AgingRowOut]


def _row(row: Any) -> dict[str, Any]:
    return {"group": row.group, "currency": row.currency, "amounts": row.amounts, "total": row.total,
            "overdue": row.overdue, "item_count": row.item_count}


@router.get("/aging", response={200: AgingOut, **ERRORS}, summary="Open amounts by age bucket")
def aging(request: Any, query: Query[AgingQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    require(request, "reports.view_aging", message="your role does not give access to the aging")
    collector_id = None if sees_all_accounts(request.user) else request.user.pk
    if query.entity is not None and not LegalEntity.objects.filter(pk=query.entity).exists():
        raise ApiError("not_found", f"legal entity {query.entity} does not exist", field="entity")
    report = aging_report(
        query.as_of, by=query.by, basis=query.basis, entity_ids=[query.entity] if query.entity else None,
        collector_id=collector_id,
        reporting_currency=query.reporting_currency,
    ).quantized()
    start = (paging.page - 1) * paging.page_size
    return {
        "count": len(report.rows), "page": paging.page, "page_size": paging.page_size,
        "as_of": report.as_of, "basis": report.basis, "buckets": [b.label for b in report.buckets],
        "as_of_by_entity": report.as_of_by_entity, "restricted_to_portfolio": collector_id is not None,
        "totals": [_row(row) for row in report.totals().values()],
        "results": [_row(row) for row in report.rows[start:start + paging.page_size]],
    }


class KpiQuery(Schema):
    start: date = Field(description="first day of the period")
    end: date = Field(description="last day of the period")
    entity: list[str] = Field(default_factory=list, description="legal entity codes (repeat); default: all")
    by: Literal["entity", "collector", "segment", "customer", "currency"] = "entity"
    ar_basis: Literal["net", "gross"] = "net"
    day_convention: Literal["calendar", "30"] = "calendar"
    countback_months: int = Field(12, ge=1, le=36)


class KpiOut(Schema):
    params: dict[str, Any]
    rows: list[dict[str, Any]] = Field(description="one row per group and currency, as `incasso report kpis`")
    activity: list[dict[str, Any]]
    auto_match: list[dict[str, Any]]


@router.get("/kpis", response={200: KpiOut, **ERRORS}, summary="DSO, CEI, ADD, days to pay, disputes, PTP for a period")
def kpis(request: Any, query: Query[KpiQuery]) -> dict[str, Any]:
    require(request, "reports.view_aging", message="your role does not give access to the reports")
    if not sees_all_accounts(request.user):
        raise ApiError("not_allowed", "KPIs cover every account: they are for roles that see every portfolio")
    entity_ids = None
    if query.entity:
        found = dict(LegalEntity.objects.filter(code__in=query.entity).values_list("code", "pk"))
        unknown = [code for code in query.entity if code not in found]
        if unknown:
            raise ApiError("not_found", f"no legal entity with code {', '.join(unknown)}", field="entity")
        entity_ids = tuple(found[code] for code in query.entity)
    table = kpi_table(KpiParams(start=query.start, end=query.end, by=query.by, entity_ids=entity_ids,
                                ar_basis=query.ar_basis, day_convention=query.day_convention,
                                countback_months=query.countback_months))
    return as_json(table)
