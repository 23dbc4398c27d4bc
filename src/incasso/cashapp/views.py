from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.cashapp.actions import (
    allocate_manually,
    apply_match,
    dispute_deduction,
    import_statement_bytes,
    reject_match,
    unapply,
)
from incasso.cashapp.actions.mappings import FIELDS as MAPPING_FIELDS
from incasso.cashapp.actions.mappings import save_mapping
from incasso.cashapp.actions.remittances import import_remittance_bytes, link_remittance_by_hand
from incasso.cashapp.actions.settings import FIELDS as SETTING_FIELDS
from incasso.cashapp.actions.settings import update_cash_settings
from incasso.cashapp.choices import DeductionStatus, LineState, ProposalStatus
from incasso.cashapp.errors import CashError
from incasso.cashapp.forms import CashSettingsForm, MappingForm, QueueFilter, RejectForm, UnapplyForm, UploadForm
from incasso.cashapp.jobs import queue_matching
from incasso.cashapp.models import (
    BankAccountStatement,
    BankFileMapping,
    BankLine,
    CashSettings,
    Deduction,
    MatchProposal,
    RemittanceAdvice,
)
from incasso.core.bank import ParseError
from incasso.core.bank.tabular import parse_table, read_rows
from incasso.disputes.models import ReasonCode
from incasso.ledger.actions.cash import SUSPENSE_ACCOUNT
from incasso.ledger.choices import CREDIT_KINDS, DEBIT_KINDS
from incasso.ledger.errors import LedgerError
from incasso.ledger.models import Customer, Item, LegalEntity

LINES_PER_PAGE = 50
STATEMENTS_PER_PAGE = 50
ITEMS_IN_PANEL = 40
TO_WORK = (LineState.UNMATCHED, LineState.PROPOSED, LineState.PARTIALLY_APPLIED)
AGE_BUCKETS = ((0, 30, "0–30"), (31, 60, "31–60"), (61, 90, "61–90"), (91, 180, "91–180"), (181, None, "> 180"))


def _dispute_reasons() -> list[tuple[str, str]]:
    """The active dispute reason codes a deduction can be opened with, labelled in the user's language."""
    return [(r.code, r.label()) for r in ReasonCode.objects.filter(active=True).order_by("code")]


def _can_view(request) -> None:  # type: ignore[no-untyped-def]
    if not request.user.has_perm("cashapp.view_cash"):
        raise PermissionDenied("Cash application is for the cash application team, administrators and controllers.")


def _can_act(request) -> None:  # type: ignore[no-untyped-def]
    if not request.user.has_perm("cashapp.apply_cash"):
        raise PermissionDenied("Your role reads cash application but does not change it.")


def _back(request, fallback: str) -> HttpResponseRedirect:  # type: ignore[no-untyped-def]
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target or fallback)


def _with_live_proposals(lines):  # type: ignore[no-untyped-def]
    return lines.prefetch_related(Prefetch(
        "proposals", to_attr="live_proposals",
        queryset=MatchProposal.objects.exclude(status__in=[ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED])
        .select_related("customer").order_by("-created_at", "-id"),
    ))


def _rows(lines: list[BankLine]) -> list[dict[str, object]]:
    """Each line with its current proposal and the proposal's items by number (one query for all)."""
    proposals = {line.pk: (line.live_proposals[0] if line.live_proposals else None) for line in lines}  # type: ignore[attr-defined]
    item_ids = {int(a["item_id"]) for p in proposals.values() if p for a in p.allocations}
    numbers = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "number"))
    rows = []
    for line in lines:
        proposal = proposals[line.pk]
        rows.append({
            "line": line, "proposal": proposal,
            "allocations": [(numbers.get(int(a["item_id"]), "?"), Decimal(a["amount"]), Decimal(a.get("discount") or 0))
                            for a in (proposal.allocations if proposal else [])],
            "confidence_pct": round(proposal.confidence * 100) if proposal else None,
        })
    return rows


def queue(request):  # type: ignore[no-untyped-def]
    _can_view(request)
    form = QueueFilter(request.GET or None)
    lines = BankLine.objects.filter(sign="CRDT").select_related("entity", "customer", "statement")
    state = ""
    if form.is_valid():
        data = form.cleaned_data
        state = data["state"]
        if data["entity"]:
            lines = lines.filter(entity=data["entity"])
        if data["min_confidence"] is not None:
            lines = lines.filter(proposals__confidence__gte=data["min_confidence"],
                                 proposals__status=ProposalStatus.PROPOSED)
        if data["max_confidence"] is not None:
            lines = lines.filter(proposals__confidence__lte=data["max_confidence"],
                                 proposals__status=ProposalStatus.PROPOSED)
        if data["date_from"]:
            lines = lines.filter(booking_date__gte=data["date_from"])
        if data["date_to"]:
            lines = lines.filter(booking_date__lte=data["date_to"])
        if data["q"]:
            q = data["q"].strip()
            lines = lines.filter(Q(counterparty_name__icontains=q) | Q(remittance_text__icontains=q) |
                                 Q(structured_reference__icontains=q.replace(" ", "")) | Q(bank_reference=q) |
                                 Q(customer__account=q))
    if state == "all":
        pass
    elif state:
        lines = lines.filter(state=state)
    else:
        lines = lines.filter(state__in=TO_WORK)
    lines = _with_live_proposals(lines.distinct().order_by("booking_date", "pk"))
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    counts = dict(BankLine.objects.filter(sign="CRDT").values_list("state").annotate(n=Count("pk")).order_by())
    return render(request, "cashapp/queue.html", {
        "form": form, "page": page, "rows": _rows(list(page.object_list)),
        "state_counts": [(label, counts.get(value, 0)) for value, label in LineState.choices
                         if value != LineState.IGNORED],
        "can_act": request.user.has_perm("cashapp.apply_cash"), "dispute_reasons": _dispute_reasons(),
        "request_key": uuid.uuid4().hex, "filtered": any(v for k, v in request.GET.items() if k != "page"),
    })


def upload(request):  # type: ignore[no-untyped-def]
    _can_view(request)
    reports, failures = [], []
    if request.method == "POST":
        _can_act(request)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            actor = Actor.of(request.user)
            for uploaded in form.cleaned_data["files"]:
                try:
                    reports.append(import_statement_bytes(uploaded.read(), uploaded.name, by=actor,
                                                          dry_run=form.cleaned_data["dry_run"],
                                                          mapping=form.cleaned_data["mapping"]))
                except ParseError as error:
                    failures.append(str(error))
            form = UploadForm()
    else:
        form = UploadForm()
    return render(request, "cashapp/upload.html", {
        "form": form, "reports": reports, "failures": failures,
        "can_act": request.user.has_perm("cashapp.apply_cash"),
    }, status=400 if failures and not reports else 200)


def statement_list(request):  # type: ignore[no-untyped-def]
    _can_view(request)
    statements = (BankAccountStatement.objects.select_related("entity", "file")
                  .annotate(applied=Count("lines", filter=Q(lines__state=LineState.APPLIED)),
                            to_work=Count("lines", filter=Q(lines__state__in=TO_WORK)))
                  .order_by("-imported_at", "-pk"))
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cashapp/statement_list.html", {"page": page})


def statement_detail(request, pk: int):  # type: ignore[no-untyped-def]
    _can_view(request)
    statement = get_object_or_404(BankAccountStatement.objects.select_related("entity", "file", "imported_by"),
                                  pk=pk)
    lines = _with_live_proposals(statement.lines.select_related("customer", "entity", "statement")
                                 .order_by("sequence"))
    page = Paginator(lines, 200).get_page(request.GET.get("page"))
    return render(request, "cashapp/statement_detail.html", {
        "statement": statement, "page": page, "rows": _rows(list(page.object_list)),
        "warnings": [w for w in statement.warning_text.splitlines() if w],
        "can_act": request.user.has_perm("cashapp.apply_cash"), "request_key": uuid.uuid4().hex,
        "dispute_reasons": _dispute_reasons(),
    })


@require_POST
def accept(request, pk: int):  # type: ignore[no-untyped-def]
    _can_act(request)
    try:
        proposal = apply_match(pk, by=Actor.of(request.user),
                               idempotency_key=request.POST.get("key") or uuid.uuid4().hex,
                               dispute_reason=request.POST.get("dispute_reason", "").strip())
        messages.success(request, _("Applied: bank line %(ref)s.") % {"ref": proposal.line.line_ref})
    except (CashError, LedgerError) as error:
        messages.error(request, error.message)
    return _back(request, reverse("cashapp:queue"))


@require_POST
def run(request):  # type: ignore[no-untyped-def]
    """Queue a matching run as of today: the worker runs it, the job page shows its progress."""
    _can_act(request)
    job = queue_matching(timezone.now().date(), by=Actor.of(request.user))
    return redirect("jobs:detail", job.pk)


@require_POST
def reject(request, pk: int):  # type: ignore[no-untyped-def]
    _can_act(request)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the proposal is wrong before rejecting it."))
        return _back(request, reverse("cashapp:queue"))
    try:
        reject_match(pk, by=Actor.of(request.user), reason=form.cleaned_data["reason"])
        messages.success(request, _("Proposal rejected; the line is back for manual allocation."))
    except CashError as error:
        messages.error(request, error.message)
    return _back(request, reverse("cashapp:queue"))


@require_POST
def unapply_line(request, pk: int):  # type: ignore[no-untyped-def]
    _can_act(request)
    form = UnapplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the line is unapplied."))
        return _back(request, reverse("cashapp:queue"))
    try:
        unapply(pk, by=Actor.of(request.user), reason=form.cleaned_data["reason"])
        messages.success(request, _("Unapplied: the items are open again and the cash is unapplied."))
    except (CashError, LedgerError) as error:
        messages.error(request, error.message)
    return _back(request, reverse("cashapp:queue"))


def allocate_panel(request, pk: int):  # type: ignore[no-untyped-def]
    """The side panel: search a customer's open items and split the line across them by hand."""
    _can_view(request)
    line = get_object_or_404(BankLine.objects.select_related("entity", "customer", "payment_item"), pk=pk)
    error = ""
    if request.method == "POST":
        _can_act(request)
        parts = []
        for key, value in request.POST.items():
            if key.startswith("amount_") and value.strip():
                try:
                    parts.append((int(key.removeprefix("amount_")), Decimal(value.strip().replace(",", "."))))
                except (ValueError, InvalidOperation):
                    error = _("%(value)s is not an amount.") % {"value": value}
        if not error:
            try:
                allocate_manually(line.pk, parts, by=Actor.of(request.user),
                                  idempotency_key=request.POST.get("key") or uuid.uuid4().hex)
                messages.success(request, _("Allocated by hand: bank line %(ref)s.") % {"ref": line.line_ref})
                return _back(request, reverse("cashapp:queue"))
            except (CashError, LedgerError) as failure:
                error = failure.message
    q = request.GET.get("q", "").strip()
    customers = Customer.objects.filter(entity_id=line.entity_id).exclude(account=SUSPENSE_ACCOUNT)
    if q:
        customers = customers.filter(Q(account__iexact=q) | Q(name__icontains=q) | Q(items__number__iexact=q))
    elif line.customer_id and line.customer.account != SUSPENSE_ACCOUNT:
        customers = customers.filter(pk=line.customer_id)
    else:
        customers = customers.none()
    items = list(Item.objects.filter(customer__in=customers.distinct(), kind__in=list(DEBIT_KINDS), open_amount__gt=0)
                 .select_related("customer").order_by("customer__account", "due_date", "pk")[:ITEMS_IN_PANEL])
    left = line.payment_item.open_amount if line.payment_item_id else line.amount
    template = "cashapp/_allocate_panel.html" if request.htmx else "cashapp/allocate.html"
    return render(request, template, {
        "line": line, "items": items, "q": q, "left": left, "error": error, "request_key": uuid.uuid4().hex,
        "can_act": request.user.has_perm("cashapp.apply_cash"),
    }, status=400 if error else 200)


def unapplied(request):  # type: ignore[no-untyped-def]
    """Unapplied cash and credit balances (open credit items), by age."""
    _can_view(request)
    as_of = _as_of(request)
    credits = (Item.objects.filter(kind__in=list(CREDIT_KINDS), open_amount__gt=0)
               .select_related("customer", "entity").order_by("document_date", "pk"))
    entity = request.GET.get("entity")
    if entity and entity.isdigit():
        credits = credits.filter(entity_id=int(entity))
    page = Paginator(credits, LINES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(item, (as_of - item.document_date).days, _bucket((as_of - item.document_date).days),
             item.customer.account == SUSPENSE_ACCOUNT) for item in page.object_list]
    totals: dict[tuple[str, str], Decimal] = {}
    for document_date, currency, open_amount in credits.values_list("document_date", "currency", "open_amount"):
        key = (_bucket((as_of - document_date).days), currency)
        totals[key] = totals.get(key, Decimal(0)) + open_amount
    currencies = sorted({currency for _, currency in totals})
    return render(request, "cashapp/unapplied.html", {
        "page": page, "rows": rows, "as_of": as_of, "buckets": [label for *_, label in AGE_BUCKETS],
        "totals": [(currency, [totals.get((label, currency), Decimal(0)) for *_, label in AGE_BUCKETS])
                   for currency in currencies],
    })


def _as_of(request) -> date:  # type: ignore[no-untyped-def]
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.now().date()


def _bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


def settings_list(request):  # type: ignore[no-untyped-def]
    """Each entity's matching settings (the defaults where none were saved)."""
    _can_view(request)
    stored = {s.entity_id: s for s in CashSettings.objects.all()}
    rows = [(entity, stored.get(entity.pk) or CashSettings(entity=entity), entity.pk in stored)
            for entity in LegalEntity.objects.order_by("code")]
    return render(request, "cashapp/settings_list.html", {
        "rows": rows, "can_change": request.user.has_perm("cashapp.change_settings"),
    })


def settings_edit(request, code: str):  # type: ignore[no-untyped-def]
    """A cash application team lead changes one entity's thresholds and tolerances."""
    _can_view(request)
    if not request.user.has_perm("cashapp.change_settings"):
        raise PermissionDenied("Matching settings are changed by a cash application team lead or an administrator.")
    entity = get_object_or_404(LegalEntity, code=code)
    current = CashSettings.objects.filter(entity=entity).first() or CashSettings(entity=entity)
    initial = {name: getattr(current, name) for name in SETTING_FIELDS}
    form = CashSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_cash_settings(entity.pk, form.cleaned_data, by=Actor.of(request.user))
            messages.success(request, _("Matching settings of %(entity)s saved.") % {"entity": entity.code})
            return redirect("cashapp:settings")
        except CashError as error:
            form.add_error(None, error.message)
    return render(request, "cashapp/settings_edit.html", {"form": form, "entity": entity},
                  status=400 if form.errors else 200)


def deductions(request):  # type: ignore[no-untyped-def]
    """Short payments recorded when lines were applied: open ones wait to be opened as disputes."""
    _can_view(request)
    status = request.GET.get("status", DeductionStatus.OPEN)
    rows = Deduction.objects.select_related("item", "customer", "line", "case").order_by("-created_at", "-pk")
    if status in DeductionStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cashapp/deductions.html", {
        "page": page, "status": status, "statuses": DeductionStatus.choices,
        "reasons": _dispute_reasons(),
        "can_act": request.user.has_perm("cashapp.apply_cash"),
    })


@require_POST
def dispute_deduction_view(request, pk: int):  # type: ignore[no-untyped-def]
    _can_act(request)
    reason_code = request.POST.get("reason_code", "").strip()
    if not reason_code:
        messages.error(request, _("Choose the reason of the deduction."))
        return _back(request, reverse("cashapp:deductions"))
    try:
        deduction = dispute_deduction(pk, reason_code, by=Actor.of(request.user),
                                      description=request.POST.get("description", ""))
        messages.success(request, _("Dispute %(case)s opened for the deduction on %(item)s.") % {
            "case": deduction.case.number, "item": deduction.item.number})
    except CashError as error:
        messages.error(request, error.message)
    return _back(request, reverse("cashapp:deductions"))


PREVIEW_LINES = 10  # data lines of a sample file shown under its header


def mapping_list(request):  # type: ignore[no-untyped-def]
    _can_view(request)
    return render(request, "cashapp/mapping_list.html", {
        "mappings": BankFileMapping.objects.select_related("bank_account__entity", "updated_by"),
        "can_act": request.user.has_perm("cashapp.apply_cash"),
    })


def mapping_edit(request, pk: int | None = None):  # type: ignore[no-untyped-def]
    """Create or change a CSV/XLSX column mapping; a sample file previews what it reads."""
    _can_view(request)
    mapping = get_object_or_404(BankFileMapping, pk=pk) if pk is not None else None
    preview: dict[str, object] = {}
    if request.method == "POST":
        _can_act(request)
        form = MappingForm(request.POST, request.FILES, instance=mapping)
        rows = _sample_rows(request, form, preview)
        if form.is_valid():
            candidate = form.save(commit=False)
            if rows:
                _preview(rows, candidate, preview)
            if "save" in request.POST:
                try:
                    saved = save_mapping({name: form.cleaned_data[name] for name in MAPPING_FIELDS},
                                         by=Actor.of(request.user), mapping_id=mapping.pk if mapping else None)
                    messages.success(request, _("Column mapping %(name)s saved.") % {"name": saved.name})
                    return redirect("cashapp:mappings")
                except CashError as error:
                    form.add_error(None, error.message)
        data = form.data.copy()
        data["sample_rows"] = json.dumps(rows) if rows else ""
        form.data = data
    else:
        form = MappingForm(instance=mapping)
    return render(request, "cashapp/mapping_edit.html", {
        "form": form, "mapping": mapping, "preview": preview, "can_act": request.user.has_perm("cashapp.apply_cash"),
    }, status=400 if form.errors else 200)


def _sample_rows(request, form: MappingForm, preview: dict[str, object]) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """The sample's first lines: from the uploaded file, else carried over in the hidden field."""
    uploaded = request.FILES.get("sample")
    header_line = _int(request.POST.get("header_line"), 1)
    if uploaded is not None:
        try:
            kind, rows = read_rows(uploaded.read(), uploaded.name)
        except ParseError as error:
            preview["errors"] = [str(error)]
            return []
        first = [[line, cells] for line, cells in rows if line <= header_line + PREVIEW_LINES]
        return [*first, [0, [kind, uploaded.name]]]  # line 0 carries the file's kind and name
    try:
        carried = json.loads(request.POST.get("sample_rows") or "[]")
        return [[int(line), [str(c) for c in cells]] for line, cells in carried]
    except (ValueError, TypeError):
        return []


def _preview(rows: list[list[object]], candidate: BankFileMapping, preview: dict[str, object]) -> None:
    kind, name = rows[-1][1] if rows and rows[-1][0] == 0 else ("csv", "sample")  # type: ignore[misc]
    data_rows = [(int(line), list(cells)) for line, cells in rows if line]  # type: ignore[call-overload, arg-type]
    preview["raw"] = data_rows
    preview["file"] = name
    preview["width"] = max((len(cells) for _line, cells in data_rows), default=0)
    account = candidate.bank_account
    try:
        statement = parse_table(data_rows, candidate.to_core(), file=str(name), account=account.iban,
                                currency=account.currency, file_kind=str(kind))
        preview["entries"] = statement.entries
    except ParseError as error:
        preview["errors"] = str(error).splitlines()


def _int(text: str | None, default: int) -> int:
    try:
        return max(int(text or default), 1)
    except ValueError:
        return default


def remittances(request):  # type: ignore[no-untyped-def]
    """Remittance advices: upload (X12 820, CSV/XLSX), whether each found its bank line and why."""
    _can_view(request)
    reports, failures = [], []
    if request.method == "POST":
        _can_act(request)
        actor = Actor.of(request.user)
        for uploaded in request.FILES.getlist("files"):
            try:
                reports.append(import_remittance_bytes(uploaded.read(), uploaded.name, by=actor))
            except ParseError as error:
                failures += str(error).splitlines()
    state = request.GET.get("state", "")
    advices = RemittanceAdvice.objects.select_related("line", "line__statement").order_by("-imported_at", "-pk")
    if state == "unlinked":
        advices = advices.filter(line__isnull=True)
    elif state == "linked":
        advices = advices.filter(line__isnull=False)
    page = Paginator(advices, LINES_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for advice in page.object_list:
        candidates = []
        if advice.line_id is None:
            candidates = list(BankLine.objects.filter(sign="CRDT", state__in=TO_WORK[:2], currency=advice.currency,
                                                      amount=advice.amount, remittance_advice__isnull=True)
                              .order_by("booking_date", "pk")[:5])
        rows.append((advice, candidates))
    return render(request, "cashapp/remittances.html", {
        "page": page, "rows": rows, "state": state, "reports": reports, "failures": failures,
        "can_act": request.user.has_perm("cashapp.apply_cash"),
    }, status=400 if failures and not reports else 200)


@require_POST
def link_remittance(request, pk: int):  # type: ignore[no-untyped-def]
    _can_act(request)
    try:
        advice = link_remittance_by_hand(pk, int(request.POST.get("line", "0") or 0), by=Actor.of(request.user))
        messages.success(request, _("Remittance advice %(advice)s linked to bank line %(line)s.") % {
            "advice": advice.number, "line": advice.line.line_ref})
    except CashError as error:
        messages.error(request, error.message)
    return _back(request, reverse("cashapp:remittances"))
