from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.collections.actions.notices import mark_notifications_read
from incasso.collections.actions.portfolio import collectors, complete_task
from incasso.collections.actions.worklist import complete_entry
from incasso.collections.choices import EntryStatus
from incasso.collections.models import Notification, Task, WorklistEntry
from incasso.collections.queries import entries_for, latest_build_date, worklist_today
from incasso.collections.rendering import Formats, worklist_rows

ENTRIES_PER_PAGE = 50
# What a row shows (``rendering.worklist_rows``): fetching whole customers and users costs more than
# rendering them.
ROW_FIELDS = (
    "as_of", "collector_id", "customer_id", "priority", "currency", "overdue_amount", "due_soon_amount",
    "max_days_past_due", "reasons", "lowered_because", "next_action", "next_action_on", "escalated", "status",
    "customer__name", "customer__account", "customer__entity__code", "substitute_for__username",
    "substitute_for__first_name", "substitute_for__last_name",
)


def worklist(request):  # type: ignore[no-untyped-def]
    if not request.user.has_perm("collections.view_worklist"):
        raise PermissionDenied("The worklist is for collectors and team leaders.")
    today = worklist_today()
    collector = request.user
    leads = request.user.has_perm("collections.lead_team")
    if leads and request.GET.get("collector"):
        collector = get_object_or_404(collectors(), username=request.GET["collector"])
    as_of = latest_build_date(today)
    entries = entries_for(collector.pk, as_of).select_related(None).select_related(
        "customer__entity", "substitute_for").only(*ROW_FIELDS) if as_of else WorklistEntry.objects.none()
    # The open and done counts in one query; the paginator is told the open one instead of counting again.
    counts = WorklistEntry.objects.filter(collector=collector, as_of=as_of).aggregate(
        open=Count("id", filter=Q(status=EntryStatus.OPEN)), done=Count("id", filter=Q(status=EntryStatus.DONE)),
    ) if as_of else {"open": 0, "done": 0}
    paginator = Paginator(entries, ENTRIES_PER_PAGE)
    paginator.count = counts["open"]
    page = paginator.get_page(request.GET.get("page"))
    entries = list(page.object_list)
    rows = worklist_rows(
        entries, customers_prefix=reverse("ledger:customer_list"),
        done_prefix=reverse("collections:worklist") + "entries/", back=reverse("collections:worklist"),
        csrf_token=get_token(request), formats=Formats(),
    )
    done_today = counts["done"]
    tasks = list(Task.objects.filter(assigned_to=collector, done_at__isnull=True).select_related("customer")
                 .order_by("due_on", "-priority")[:20])
    notices = list(Notification.objects.filter(user=collector, read_at__isnull=True)[:10])
    return render(request, "collections/worklist.html", {
        "collector": collector, "as_of": as_of, "today": today, "page": page, "entries": entries, "rows": rows,
        "done_today": done_today, "tasks": tasks, "notices": notices, "leads": leads,
        "team": list(collectors()) if leads else [],
    })


@require_POST
def entry_done(request, pk: int):  # type: ignore[no-untyped-def]
    entry = get_object_or_404(WorklistEntry, pk=pk)
    if entry.collector_id != request.user.pk and not request.user.has_perm("collections.lead_team"):
        raise PermissionDenied("This entry is on someone else's worklist.")
    complete_entry(entry.pk, by=Actor.of(request.user))
    if request.htmx:
        return HttpResponse("")
    return redirect("collections:worklist")


@require_POST
def task_done(request, pk: int):  # type: ignore[no-untyped-def]
    task = get_object_or_404(Task, pk=pk)
    if task.assigned_to_id != request.user.pk and not request.user.has_perm("collections.lead_team"):
        raise PermissionDenied("This task is someone else's.")
    complete_task(task.pk, by=Actor.of(request.user))
    return redirect("collections:worklist")


@require_POST
def notices_read(request):  # type: ignore[no-untyped-def]
    mark_notifications_read(request.user.pk, by=Actor.of(request.user))
    return redirect("collections:worklist")


def workload(as_of):  # type: ignore[no-untyped-def]
    """Per collector: open and done entries today, overdue on the list, accounts in the portfolio."""
    rows = {
        row["collector_id"]: row for row in WorklistEntry.objects.filter(as_of=as_of).values("collector_id").annotate(
            open=Count("id", filter=Q(status=EntryStatus.OPEN)), done=Count("id", filter=Q(status=EntryStatus.DONE)),
            overdue=Sum("overdue_amount", filter=Q(status=EntryStatus.OPEN)),
        ).order_by()
    } if as_of else {}
    people = list(collectors().annotate(accounts=Count("portfolio", distinct=True)))
    return [(person, rows.get(person.pk, {"open": 0, "done": 0, "overdue": None})) for person in people]
