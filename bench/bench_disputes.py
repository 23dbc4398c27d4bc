"""Benchmark: the dispute escalation pass over 100,000 open cases (target 10 s) and the dispute
analytics over 1,000,000 closed cases (target 5 s), on PostgreSQL.

    .venv/bin/python bench/bench_disputes.py [--open 100000] [--closed 1000000] [--rebuild] [--quick]

1. Builds (or reuses, when the counts match) the PostgreSQL database ``bench_disputes`` after
   ``incasso migrate`` (whose data migration seeds the reason, root-cause and department
   catalogues): three entities (FR, DE, RO), 20,000 customers, one invoice per case, the cases and
   their lines. Rows are generated inside PostgreSQL with ``INSERT ... SELECT generate_series`` and
   a fixed ``setseed``: no action code runs. Open cases are opened 0-44 days before the as-of date
   with a deadline 14 days later, so about half are late, some due soon; closed cases spread over
   two years with every resolution and root cause.
2. Times ``escalate_cases(as_of)`` in a fresh process, best of 2 runs; before each run the levels,
   reminders and their timeline events are reset, so every run does the full work (reminders,
   escalations with one UPDATE per level, a bulk insert of timeline events, one mail per recipient
   to Django's in-memory mail backend: SMTP time is not the pass's).
3. Times ``dispute_analytics(period, as_of)`` over the whole two years in a fresh process, best of 2.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
AS_OF = date(2026, 11, 20)
CUSTOMERS = 20_000


def env(url: str) -> dict[str, str]:
    return {**os.environ, "INCASSO_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "incasso.settings",
            "INCASSO_LOG_LEVEL": "ERROR"}


def ensure_database(url: str, rebuild: bool) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([str(BIN / "incasso"), "migrate", "-v", "0"], env=env(url), check=True)


def counts(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FILTER (WHERE status = 'closed'), count(*) FILTER (WHERE status <> "
                           "'closed') FROM disputes_disputecase").fetchone()
    return row[0], row[1]


USERS = """
from django.contrib.auth import get_user_model
from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.disputes.models import ResolverDepartment
User = get_user_model()
def user(name, role):
    found = User.objects.filter(username=name).first()
    return found or create_user_with_roles(name, "bench-password-123", [role], by=SYSTEM, email=f"{name}@bench.test")
lead = user("lead", Role.TEAM_LEADER)
for n, department in enumerate(ResolverDepartment.objects.order_by("id"), start=1):
    department.manager = user(f"m{n:02d}", Role.DISPUTE_RESOLVER)
    department.team_leader = lead
    department.save()
    for k in range(1, 4):
        department.members.add(user(f"r{n:02d}{k}", Role.DISPUTE_RESOLVER))
"""


def build(url: str, open_cases: int, closed_cases: int) -> float:
    import psycopg

    started = time.perf_counter()
    subprocess.run([str(BIN / "incasso"), "shell", "-c", USERS], env=env(url), check=True)
    total = open_cases + closed_cases
    as_of = AS_OF.isoformat()
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute("""
            INSERT INTO ledger_legalentity (code, name, country, currency, timezone, language, address, vat_id,
                                            registration, phone, email, website)
            VALUES ('FR01', 'Bench France', 'FR', 'EUR', 'Europe/Paris', 'fr', '', '', '', '', '', ''),
                   ('DE01', 'Bench Deutschland', 'DE', 'EUR', 'Europe/Berlin', 'de', '', '', '', '', '', ''),
                   ('RO01', 'Bench Romania', 'RO', 'RON', 'Europe/Bucharest', 'ro', '', '', '', '', '', '')
            ON CONFLICT (code) DO NOTHING""")
        conn.execute(f"""
            INSERT INTO ledger_customer (entity_id, account, name, country, language, currency, payment_terms_days,
                credit_limit, risk_class, segment, vat_id, email, phone, dunning_block, dunning_block_reason, legal,
                insolvency, created_at, updated_at)
            SELECT e.id, 'B' || lpad(n::text, 6, '0'), 'Bench customer ' || n, e.country, e.language, e.currency,
                   30, 0, 'low', '', '', '', '', false, '', false, false, now(), now()
            FROM generate_series(1, {CUSTOMERS}) n
            JOIN ledger_legalentity e ON e.code = (ARRAY['FR01','DE01','RO01'])[1 + n % 3]
            ON CONFLICT DO NOTHING""")
        conn.execute("TRUNCATE disputes_disputeline, disputes_disputecase, disputes_settlement CASCADE")
        conn.execute("DELETE FROM ledger_item WHERE number LIKE 'BD-%'")
        conn.execute(f"""
            CREATE TEMP TABLE bench_case AS
            SELECT n, c.id AS customer_id, c.entity_id, c.currency,
                   (100 + floor(random() * 9900))::numeric(18,2) AS amount,
                   (20 + floor(random() * 480))::numeric(18,2) AS disputed,
                   n <= {open_cases} AS is_open,
                   CASE WHEN n <= {open_cases} THEN DATE '{as_of}' - (n % 45)
                        ELSE DATE '{as_of}' - 60 - (n % 640) END AS opened_on,
                   (n * 7 + floor(random() * 20))::int % 70 AS cycle_days
            FROM generate_series(1, {total}) n
            JOIN ledger_customer c ON c.account = 'B' || lpad((1 + n % {CUSTOMERS})::text, 6, '0')""")
        conn.execute("""
            INSERT INTO ledger_item (id, entity_id, customer_id, kind, number, document_date, due_date, currency,
                amount, open_amount, reference, external_id, text, created_at)
            SELECT 10000000 + n, entity_id, customer_id, 'invoice', 'BD-' || n, opened_on - 40, opened_on - 10,
                   currency, amount, amount, '', '', '', now()
            FROM bench_case""")
        conn.execute("""
            CREATE TEMP TABLE bench_catalogue AS
            SELECT array_agg(r.id ORDER BY r.id) AS reasons, array_agg(r.default_department_id ORDER BY r.id) AS
                   departments, (SELECT array_agg(id ORDER BY id) FROM disputes_rootcausecode) AS root_causes,
                   (SELECT array_agg(u.id ORDER BY u.id) FROM auth_user u WHERE u.username LIKE 'r%') AS resolvers
            FROM disputes_reasoncode r""")
        conn.execute("""
            INSERT INTO disputes_disputecase (id, entity_id, customer_id, currency, original_amount, disputed_amount,
                accepted_amount, reason_id, description, priority, source, owner_id, department_id, resolver_id,
                status, opened_on, deadline, escalation_level, highest_escalation_level, resolution, resolution_note,
                root_cause_id,
                resolved_on, resolved_by_id, cycle_days, closed_on, reopen_count, created_at, updated_at)
            SELECT n, entity_id, customer_id, currency, disputed, disputed,
                   CASE WHEN is_open THEN 0 WHEN n % 10 < 4 THEN disputed WHEN n % 10 < 6 THEN round(disputed / 2, 2)
                        WHEN n % 10 = 9 THEN disputed ELSE 0 END,
                   k.reasons[1 + n % array_length(k.reasons, 1)], '', 'normal', 'import', NULL,
                   k.departments[1 + n % array_length(k.reasons, 1)],
                   CASE WHEN n % 4 = 0 THEN NULL ELSE k.resolvers[1 + n % array_length(k.resolvers, 1)] END,
                   CASE WHEN is_open THEN (ARRAY['new','assigned','investigating','waiting_customer',
                                                 'waiting_internal'])[1 + n % 5] ELSE 'closed' END,
                   opened_on, opened_on + 14, 0, CASE WHEN is_open THEN 0 ELSE (n % 17) % 4 END,
                   CASE WHEN is_open THEN '' ELSE (ARRAY['accepted','accepted','accepted','accepted','partial',
                        'partial','rejected','rejected','rejected','written_off'])[1 + n % 10] END, '',
                   CASE WHEN is_open THEN NULL
                        ELSE k.root_causes[1 + (n * 31 % 97) % array_length(k.root_causes, 1)] END,
                   CASE WHEN is_open THEN NULL ELSE opened_on + cycle_days END,
                   CASE WHEN is_open THEN NULL ELSE k.resolvers[1 + n % array_length(k.resolvers, 1)] END,
                   CASE WHEN is_open THEN NULL ELSE cycle_days END,
                   CASE WHEN is_open THEN NULL ELSE opened_on + cycle_days + 2 END, 0, now(), now()
            FROM bench_case, bench_catalogue k""")
        conn.execute("""
            INSERT INTO disputes_disputeline (case_id, item_id, original_amount, disputed_amount, accepted_amount,
                                              blocked_amount)
            SELECT c.id, 10000000 + c.id, c.disputed_amount, c.disputed_amount, c.accepted_amount,
                   CASE WHEN c.status = 'closed' THEN 0 ELSE c.disputed_amount END
            FROM disputes_disputecase c""")
        for table in ("disputes_disputecase", "disputes_disputeline", "ledger_item"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# CPU of this process (time.process_time) and of its PostgreSQL backend (utime + stime from
# /proc/<backend pid>/stat: the server runs on this machine); parallel workers are not counted.
CPU = """
import os, time
def server_cpu():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
def cpu_figures(client_before, server_before):
    server_after = server_cpu()
    return {"client_cpu": round(time.process_time() - client_before, 3),
            "server_cpu": None if server_before is None or server_after is None else
            round(server_after - server_before, 3), "load": [round(x, 2) for x in os.getloadavg()]}
"""

ESCALATE = """
import json, time
from datetime import date
import django
django.setup()
from django.conf import settings
from django.core import mail
from django.db import connection
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
mail.outbox = []
from incasso.audit.events import Actor
from incasso.disputes.actions.escalation import escalate_cases
with connection.cursor() as cursor:
    cursor.execute("UPDATE disputes_disputecase SET escalation_level = 0, highest_escalation_level = 0, "
                   "escalated_on = NULL, reminded_on = NULL, deescalated_on = NULL WHERE status <> 'closed'")
    cursor.execute("DELETE FROM audit_auditevent WHERE kind IN ('dispute.escalated', 'dispute.reminded', "
                   "'dispute.deescalated')")
    # As after a night of autovacuum: the reset's dead rows would otherwise take the free space the
    # pass's (HOT) updates need.
    cursor.execute("VACUUM disputes_disputecase")
    cursor.execute("VACUUM audit_auditevent")
""" + CPU + """
server_before, client_before = server_cpu(), time.process_time()
started = time.perf_counter()
result = escalate_cases(date.fromisoformat("%s"), by=Actor(None, "bench"))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": round(seconds, 3), **cpu_figures(client_before, server_before),
                  "examined": result.examined, "reminded": result.reminded,
                  "escalated": {str(k): v for k, v in sorted(result.escalated.items())}, "mails": len(mail.outbox)}))
"""

ANALYTICS = """
import json, time
from datetime import date
import django
django.setup()
from django.db import connection
from incasso.disputes.analytics import as_dict, dispute_analytics
""" + CPU + """
server_before, client_before = server_cpu(), time.process_time()
started = time.perf_counter()
report = dispute_analytics(date(2024, 11, 1), date(2026, 11, 20), as_of=date.fromisoformat("%s"))
seconds = time.perf_counter() - started
data = as_dict(report)
print(json.dumps({"seconds": round(seconds, 3), **cpu_figures(client_before, server_before),
                  "resolved": data["resolved_in_period"],
                  "open": data["open"]["count"], "cycle_time_days": data["cycle_time_days"],
                  "valid_share_percent": data["valid_share_percent"],
                  "disputed_invoice_share_percent": data["disputed_invoice_share_percent"]}))
"""


def timed(url: str, code: str) -> dict:
    out = subprocess.run([str(BIN / "python"), "-c", code % AS_OF.isoformat()], env=env(url), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2,000 open and 20,000 closed cases")
    args = parser.parse_args()
    if args.quick:
        args.open, args.closed = 2_000, 20_000
    base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_disputes")
    url = base + ("_quick" if args.quick else "")
    ensure_database(url, args.rebuild)
    build_seconds = None
    if counts(url) != (args.closed, args.open):
        build_seconds = round(build(url, args.open, args.closed), 1)
    escalations = [timed(url, ESCALATE) for _ in range(2)]
    analytics = [timed(url, ANALYTICS) for _ in range(2)]
    best_escalation = min(escalations, key=lambda r: r["seconds"])
    best_analytics = min(analytics, key=lambda r: r["seconds"])
    print(json.dumps({
        "open_cases": args.open, "closed_cases": args.closed, "as_of": AS_OF.isoformat(),
        "build_seconds": build_seconds,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "escalation": {**best_escalation, "runs": [r["seconds"] for r in escalations], "target_seconds": 10,
                       "ok": best_escalation["seconds"] <= 10},
        "analytics": {**best_analytics, "runs": [r["seconds"] for r in analytics], "target_seconds": 5,
                      "ok": best_analytics["seconds"] <= 5},
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())
