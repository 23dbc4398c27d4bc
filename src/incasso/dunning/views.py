from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.accounts.rules import has_any_role, roles_of, sees_all_accounts
from incasso.audit.events import Actor
from incasso.dunning.actions.procedures import save_level, save_template
from incasso.dunning.actions.review import APPROVER_ROLES, approve_run, change_level, exclude_letter, exclude_line
from incasso.dunning.choices import LANGUAGES, Basis, Channel, LetterStatus, RunStatus, Tone
from incasso.dunning.errors import DunningError
from incasso.dunning.jobs import queue_proposal, queue_send
from incasso.dunning.letters.render import check_template, pdf_of, render_letter, texts_for
from incasso.dunning.models import Letter, Level, Procedure, Run
from incasso.dunning.queries import customer_history, run_report
from incasso.jobs.models import JobRun
from incasso.ledger.models import Customer, LegalEntity
from incasso.ledger.portfolio import customers_visible_to

LETTERS_PER_PAGE = 100


def _require_reader(request: Any) -> None:
    if not has_any_role(request.user) or not sees_all_accounts(request.user):
        raise PermissionDenied(_("Dunning runs cover every portfolio: ask a team leader."))


def _may_review(user: Any) -> bool:
    return bool(roles_of(user) & (APPROVER_ROLES | {"senior_collector"})) and "controller" not in roles_of(user)


def run_list(request: Any) -> HttpResponse:
    _require_reader(request)
    runs = Run.objects.annotate(
        n_letters=Count("letters", filter=~Q(letters__status=LetterStatus.EXCLUDED)),
        n_sent=Count("letters", filter=Q(letters__status=LetterStatus.SENT)),
    ).select_related("proposed_by", "approved_by")[:100]
    return render(request, "dunning/run_list.html", {
        "runs": runs, "entities": LegalEntity.objects.all(), "today": timezone.localdate(),
        "may_propose": _may_review(request.user),
    })


@require_POST
def propose(request: Any) -> HttpResponse:
    _require_reader(request)
    if not _may_review(request.user):
        raise PermissionDenied(_("Only team leaders and senior collectors propose dunning runs."))
    try:
        as_of = date.fromisoformat(request.POST.get("as_of", ""))
    except ValueError:
        messages.error(request, _("As-of date: expected a date like 2026-03-31."))
        return redirect("dunning:runs")
    entity_codes = [code for code in request.POST.getlist("entity") if code]
    unknown = set(entity_codes) - set(LegalEntity.objects.filter(code__in=entity_codes).values_list("code", flat=True))
    if unknown:
        messages.error(request, _("Unknown entity: %(codes)s") % {"codes": ", ".join(sorted(unknown))})
        return redirect("dunning:runs")
    # A proposal over a large ledger takes a while: it runs as a background job with its progress.
    job = queue_proposal(as_of, by=Actor.of(request.user), entity_codes=entity_codes, segments=[])
    return redirect("jobs:detail", job.pk)


def run_detail(request: Any, pk: int) -> HttpResponse:
    _require_reader(request)
    run = get_object_or_404(Run.objects.select_related("proposed_by", "approved_by"), pk=pk)
    letters = (run.letters.select_related("customer").annotate(n_items=Count("lines", filter=Q(lines__excluded=False)))
               .order_by("-level", "customer__account"))
    level = request.GET.get("level")
    if level and level.isdigit():
        letters = letters.filter(level=int(level))
    status = request.GET.get("status")
    if status in LetterStatus.values:
        letters = letters.filter(status=status)
    page = Paginator(letters, LETTERS_PER_PAGE).get_page(request.GET.get("page"))
    job = JobRun.objects.filter(pk=run.job_id).first() if run.job_id else None
    user = request.user
    return render(request, "dunning/run_detail.html", {
        "run": run, "page": page, "report": run_report(run),
        "exceptions": run.exceptions.select_related("customer")[:500],
        "may_review": run.status == RunStatus.PROPOSED and _may_review(user),
        "may_approve": run.status == RunStatus.PROPOSED and bool(roles_of(user) & APPROVER_ROLES)
        and not (run.four_eyes and run.proposed_by_id == user.pk),
        "may_send": run.status in (RunStatus.APPROVED, RunStatus.SENDING) and _may_review(user)
        and not (job and not job.finished),
        "job": job, "statuses": LetterStatus.choices, "level_filter": level or "", "status_filter": status or "",
    })


@require_POST
def run_action(request: Any, pk: int) -> HttpResponse:
    """The run page's buttons; each calls one action, which checks state and permission again."""
    _require_reader(request)
    run = get_object_or_404(Run, pk=pk)
    by = Actor.of(request.user)
    verb = request.POST.get("verb")
    reason = request.POST.get("reason", "")
    try:
        if verb == "approve":
            approve_run(run.pk, by=by)
            messages.success(request, _("Run approved: the letters are in the outbox."))
        elif verb == "send":
            job = queue_send(run.pk, by=by)
            messages.success(request, _("Sending started."))
            return redirect("jobs:detail", job.pk)
        elif not _may_review(request.user):
            raise PermissionDenied(_("Only team leaders and senior collectors review runs."))
        elif verb == "exclude_letter":
            exclude_letter(int(request.POST["letter"]), reason=reason, by=by)
        elif verb == "exclude_line":
            exclude_line(int(request.POST["line"]), reason=reason, by=by)
        elif verb == "change_level":
            change_level(int(request.POST["letter"]), int(request.POST["level"]), reason=reason, by=by)
        else:
            messages.error(request, _("Unknown action."))
    except DunningError as error:
        messages.error(request, error.message)
    return redirect(request.POST.get("next") or reverse("dunning:run", args=[run.pk]))


def letter_detail(request: Any, pk: int) -> HttpResponse:
    letter = get_object_or_404(Letter.objects.select_related("run", "customer__entity", "contact"), pk=pk)
    if not request.user.has_perm("ledger.view_customer", letter.customer):
        raise PermissionDenied(_("This letter belongs to a customer outside your portfolio."))
    lines = list(letter.lines.select_related("item"))
    html = letter.html or render_letter(
        Letter.objects.prefetch_related("lines__item", "customer__entity__bank_accounts")
        .select_related("run", "customer__entity", "contact").get(pk=pk)).html
    return render(request, "dunning/letter_detail.html", {
        "letter": letter, "lines": lines, "preview": html,
        "may_review": letter.run.status == RunStatus.PROPOSED and _may_review(request.user),
        "levels": range(1, 4),
    })


def letter_pdf(request: Any, pk: int) -> HttpResponse:
    """The archived PDF of a sent letter, or a preview PDF of a proposed one."""
    letter = get_object_or_404(Letter.objects.select_related("customer"), pk=pk)
    if not request.user.has_perm("ledger.view_customer", letter.customer):
        raise PermissionDenied(_("This letter belongs to a customer outside your portfolio."))
    if letter.pdf:
        data = bytes(letter.pdf)
    else:
        full = (Letter.objects.prefetch_related("lines__item", "customer__entity__bank_accounts")
                .select_related("run", "customer__entity", "contact").get(pk=pk))
        data = pdf_of(render_letter(full).html)
    response = HttpResponse(data, content_type="application/pdf")
    kind = "attachment" if request.GET.get("download") else "inline"
    name = f"{letter.customer.account}-run{letter.run_id}-L{letter.level}.pdf"
    response["Content-Disposition"] = f'{kind}; filename="{name}"'
    return response


def archive(request: Any) -> HttpResponse:
    letters = (Letter.objects.filter(status__in=[LetterStatus.SENT, LetterStatus.BOUNCED],
                                     customer__in=customers_visible_to(request.user))
               .select_related("customer", "run").order_by("-sent_at", "-id"))
    q = request.GET.get("q", "").strip()
    if q:
        letters = letters.filter(Q(customer__name__icontains=q) | Q(customer__account__iexact=q)
                                 | Q(email__icontains=q))
    level = request.GET.get("level", "")
    if level.isdigit():
        letters = letters.filter(level=int(level))
    page = Paginator(letters, LETTERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dunning/archive.html", {"page": page, "q": q, "level": level})


def procedures(request: Any) -> HttpResponse:
    _require_reader(request)
    may_edit = bool(roles_of(request.user) & {"admin", "team_leader"})
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("Only administrators and team leaders change procedures."))
        level = get_object_or_404(Level, pk=request.POST.get("level"))
        changes = {name: request.POST[name] for name in ("days", "basis", "min_amount", "min_share_percent",
                                                         "channel", "tone", "fee") if name in request.POST}
        changes["claim_interest"] = request.POST.get("claim_interest") == "on"
        changes["claim_compensation"] = request.POST.get("claim_compensation") == "on"
        try:
            save_level(level.pk, changes, by=Actor.of(request.user))
            messages.success(request, _("Level saved."))
        except Exception as error:  # noqa: BLE001 - validation errors are shown to the user as they are
            messages.error(request, _("Level %(n)s not saved: %(error)s") % {"n": level.number, "error": error})
        return redirect("dunning:procedures")
    return render(request, "dunning/procedures.html", {
        "procedures": Procedure.objects.select_related("entity").prefetch_related("levels"),
        "may_edit": may_edit, "bases": Basis.choices, "channels": Channel.choices, "tones": Tone.choices,
    })


def customer_panel(request: Any, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_pk)
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied
    letters, levels = customer_history(customer.pk)
    current = {}
    for item_level in levels:
        current.setdefault(item_level.item_id, item_level)
    open_levels = [lv for lv in current.values() if lv.item.open_amount > 0]
    top = max((lv.level for lv in open_levels), default=0)
    due = sum((lv.item.open_amount for lv in open_levels), 0)
    return render(request, "dunning/_customer_panel.html", {
        "customer": customer, "letters": letters, "open_levels": open_levels, "top_level": top, "in_dunning": due,
    })


def letter_texts(request: Any) -> HttpResponse:
    """Administrators edit a letter text (tone × language) in the Jinja2 sandbox, preview it on the
    latest letter in that language, then save it."""
    _require_reader(request)
    if "admin" not in roles_of(request.user):
        raise PermissionDenied(_("Only administrators change letter texts."))
    tone = request.GET.get("tone") if request.GET.get("tone") in Tone.values else Tone.POLITE
    language = request.GET.get("language") if request.GET.get("language") in LANGUAGES else "en"
    subject, body = texts_for(tone, language)
    preview, error = "", ""
    if request.method == "POST":
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
        try:
            check_template(subject, body)
            if request.POST.get("verb") == "save":
                save_template(tone, language, subject, body, by=Actor.of(request.user))
                messages.success(request, _("Letter text saved."))
                return redirect(f"{reverse('dunning:letter_texts')}?tone={tone}&language={language}")
            sample = (Letter.objects.filter(language=language).select_related("run", "customer__entity", "contact")
                      .prefetch_related("lines__item", "customer__entity__bank_accounts").order_by("-id").first())
            if sample is not None:
                sample.tone = tone
                preview = render_letter(sample, subject_source=subject, body_source=body).html
            else:
                error = _("No letter in this language yet to preview on; the text compiles.")
        except DunningError as exc:
            error = exc.message
    return render(request, "dunning/letter_texts.html", {
        "tone": tone, "language": language, "subject": subject, "body": body, "preview": preview, "error": error,
        "tones": Tone.choices, "languages": LANGUAGES,
    })
