"""``incasso plans list|show|judge``: payment plans from the command line."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.audit.events import Actor
from incasso.collections.actions.plans import judge_plans
from incasso.collections.choices import PlanStatus
from incasso.collections.plan_queries import plan_with_lines, plans
from incasso.collections.queries import worklist_today
from incasso.commandline import parse_date
from incasso.ledger.models import Customer


class Command(BaseCommand):
    help = "Payment plans: list them, show one with its schedule, judge the running ones (completed or broken)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="plans, newest first")
        listing.add_argument("--status", choices=PlanStatus.values, help="only plans in this status")
        listing.add_argument("--customer", help="only this customer account number")
        listing.add_argument("--format", choices=["table", "json"], default="table")
        show = sub.add_parser("show", help="one plan: terms, covered items, schedule with each instalment's status")
        show.add_argument("plan", type=int)
        show.add_argument("--format", choices=["table", "json"], default="table")
        judge = sub.add_parser("judge", help="judge the active plans from the cash on their items")
        judge.add_argument("--as-of", help="YYYY-MM-DD; default: today")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "judge":
            as_of = parse_date(options["as_of"]) if options["as_of"] else worklist_today()  # type: ignore[arg-type]
            result = judge_plans(as_of, by=Actor(None, "cli"))
            self.stdout.write(f"payment plans judged {as_of}: {result.judged} ({result.completed} completed, "
                              f"{result.broken} broken)")
        elif options["action"] == "list":
            self._list(options)
        else:
            self._show(options)

    def _list(self, options: dict) -> None:
        customer_id = None
        if options["customer"]:
            customer_id = Customer.objects.filter(account=options["customer"]).values_list("pk", flat=True).first()
            if customer_id is None:
                raise CommandError(f"no customer account {options['customer']}")
        rows = [{
            "plan": p.pk, "status": p.status, "entity": p.customer.entity.code, "customer": p.customer.account,
            "name": p.customer.name, "total": str(p.total_amount), "currency": p.currency,
            "instalments": p.instalment_count, "frequency": p.frequency, "first_due_date": p.first_due_date.isoformat(),
            "proposed_by": p.proposed_by.get_username() if p.proposed_by else "",
            "proposed_on": p.proposed_on.isoformat(),
            "paid": str(p.paid_amount),
        } for p in plans(options["status"], customer_id)]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r['plan']:>6}  {r['status']:<9}  {r['entity']:<6} {r['customer']:<10} "
                              f"{r['total']:>14} {r['currency']}  {r['instalments']:>2} × {r['frequency']:<11} "
                              f"from {r['first_due_date']}  paid {r['paid']}  by {r['proposed_by'] or 'system'}")
        self.stdout.write(f"{len(rows)} plan(s)")

    def _show(self, options: dict) -> None:
        plan = plan_with_lines(options["plan"])
        if plan is None:
            raise CommandError(f"no payment plan {options['plan']}")
        data = {
            "plan": plan.pk, "status": plan.status, "customer": plan.customer.account, "name": plan.customer.name,
            "currency": plan.currency, "total": str(plan.total_amount), "down_payment": str(plan.down_payment),
            "instalment_count": plan.instalment_count, "frequency": plan.frequency,
            "first_due_date": plan.first_due_date.isoformat(), "fee": str(plan.fee_amount),
            "interest": str(plan.interest_amount), "tolerance_days": plan.tolerance_days, "note": plan.note,
            "proposed_by": plan.proposed_by.get_username() if plan.proposed_by else "",
            "proposed_on": plan.proposed_on.isoformat(),
            "decided_by": plan.decided_by.get_username() if plan.decided_by else "",
            "decided_on": plan.decided_on.isoformat() if plan.decided_on else None,
            "activated_on": plan.activated_on.isoformat() if plan.activated_on else None,
            "ended_on": plan.ended_on.isoformat() if plan.ended_on else None, "end_reason": plan.end_reason,
            "paid": str(plan.paid_amount), "judged_on": plan.judged_on.isoformat() if plan.judged_on else None,
            "items": [{"number": line.item.number, "amount": str(line.amount)}
                      for line in sorted(plan.lines.all(), key=lambda line: line.item.number)],
            "instalments": [{"number": i.number, "due_date": i.due_date.isoformat(), "amount": str(i.amount),
                             "status": i.status, "paid_by_deadline": str(i.paid_amount)}
                            for i in plan.instalments.all()],
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Payment plan {plan.pk} — {data['status']} — {plan.customer.account} {plan.customer.name}")
        self.stdout.write(f"  {data['total']} {plan.currency} in {plan.instalment_count} {plan.frequency} instalments "
                          f"from {data['first_due_date']}; down payment {data['down_payment']}; fee {data['fee']}; "
                          f"interest {data['interest']}; tolerance {plan.tolerance_days} days")
        self.stdout.write(f"  proposed by {data['proposed_by'] or 'system'} on {data['proposed_on']}"
                          + (f"; decided by {data['decided_by']} on {data['decided_on']}" if data["decided_on"] else "")
                          + (f"; started {data['activated_on']}" if data["activated_on"] else "")
                          + (f"; ended {data['ended_on']}: {plan.end_reason}" if data["ended_on"] else ""))
        self.stdout.write("  items: " + ", ".join(f"{i['number']} {i['amount']}" for i in data["items"]))
        for i in data["instalments"]:
            label = "down payment" if i["number"] == 0 else f"instalment {i['number']}"
            self.stdout.write(f"  {label:<15} {i['due_date']}  {i['amount']:>14}  {i['status']:<8} "
                              f"paid by deadline {i['paid_by_deadline']}")
