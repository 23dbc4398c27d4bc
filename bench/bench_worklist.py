"""Benchmark: building the worklists of 100,000 customers with 1,000,000 open items on PostgreSQL, and
the worklist and customer pages under 20 concurrent users.

    .venv/bin/python bench/bench_worklist.py [--customers 100000] [--items 1000000] [--rebuild]
                                             [--users 20] [--seconds 60] [--quick] [--no-load]

1. Builds (or reuses, when the counts match) the PostgreSQL database ``bench_worklist`` after
   ``incasso migrate``: three entities, 40 collectors (``c01``..``c40``) and a team leader, the
   customers spread over the collectors, ``--items`` open items (90 % invoices due from 200 days ago
   to 60 days ahead, a fifth partly paid; 10 % unapplied payments), 20,000 logged contacts (some
   with follow-up dates) and 5,000 promises (open, kept, broken). Rows are generated inside
   PostgreSQL with ``INSERT ... SELECT generate_series`` and a fixed ``setseed``: no action code runs.
2. Times ``build_worklists(as_of)`` in a fresh process: the first build of the day on an empty
   entry table, then a rebuild of the same day -- target 10 s.
3. Serves the app with gunicorn on loopback (its own process) and runs locust headless in its own
   process: ``--users`` users log in as collectors and alternate the worklist page, a customer page of
   their portfolio and the customer's collections panel; p50/p95/p99 per page -- target p95 200 ms.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from common import ensure_database, env, free_port, insert_open_items, ledger_counts

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_worklist")
TODAY = date(2026, 11, 20)
COLLECTORS = 40
PASSWORD = "bench-password-123"  # noqa: S105 - the bench users of a throwaway database








def build_data(url: str, customers: int, items: int) -> float:
    """Generate the data set inside PostgreSQL; returns seconds."""
    started = time.perf_counter()
    setup = (
        "from incasso.accounts.actions import create_user_with_roles\n"
        "from incasso.accounts.choices import Role\n"
        "from incasso.audit.events import SYSTEM\n"
        "from django.contrib.auth import get_user_model\n"
        f"for n in range(1, {COLLECTORS} + 1):\n"
        "    name = f'c{n:02d}'\n"
        "    if not get_user_model().objects.filter(username=name).exists():\n"
        f"        create_user_with_roles(name, {PASSWORD!r}, [Role.COLLECTOR], by=SYSTEM)\n"
        "if not get_user_model().objects.filter(username='lead').exists():\n"
        f"    create_user_with_roles('lead', {PASSWORD!r}, [Role.TEAM_LEADER], by=SYSTEM)\n"
    )
    subprocess.run([str(BIN / "incasso"), "shell", "-c", setup], env=env(url), check=True)
    import psycopg

    today = TODAY.isoformat()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for table in ("collections_worklistentry", "collections_promiseitem", "collections_promise",
                      "collections_activity_items", "collections_activity", "ledger_allocation", "ledger_item",
                      "ledger_customer", "ledger_legalentity"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("SELECT setseed(0.2026)")
        conn.execute("""
            INSERT INTO ledger_legalentity (code, name, country, currency, timezone, language, address, vat_id,
                                            registration, phone, email, website)
            VALUES ('FR01', 'Incasso France SAS', 'FR', 'EUR', 'Europe/Paris', 'fr', '', '', '', '', '', ''),
                   ('RO01', 'Incasso Romania SRL', 'RO', 'RON', 'Europe/Bucharest', 'ro', '', '', '', '', '', ''),
                   ('DE01', 'Incasso Deutschland GmbH', 'DE', 'EUR', 'Europe/Berlin', 'de', '', '', '', '', '', '')
        """)
        collector_ids = [r[0] for r in conn.execute(
            "SELECT id FROM auth_user WHERE username LIKE 'c__' ORDER BY username").fetchall()]
        entities = [r[0] for r in conn.execute("SELECT id FROM ledger_legalentity ORDER BY code").fetchall()]
        conn.execute("""
            INSERT INTO ledger_customer (entity_id, account, name, country, language, currency, payment_terms_days,
                credit_limit, risk_class, segment, collector_id, vat_id, email, phone, dunning_block,
                dunning_block_reason, legal, insolvency, created_at, updated_at)
            SELECT (%(entities)s::bigint[])[1 + n %% 3], 'C' || lpad(n::text, 7, '0'), 'Customer ' || n || ' SA',
                   (ARRAY['FR','RO','DE'])[1 + n %% 3], (ARRAY['fr','ro','de'])[1 + n %% 3],
                   (ARRAY['EUR','RON','EUR'])[1 + n %% 3], 30, (random() * 50000)::int,
                   (ARRAY['low','low','medium','high','critical'])[1 + floor(random() * 5)::int],
                   (ARRAY['retail','construction','industry',''])[1 + n %% 4],
                   (%(collectors)s::bigint[])[1 + n %% %(ncollectors)s], '', 'ap' || n || '@example.com', '',
                   false, '', false, false, now(), now()
            FROM generate_series(1, %(customers)s) AS n
        """, {"entities": entities, "collectors": collector_ids, "ncollectors": len(collector_ids),
              "customers": customers})
        insert_open_items(conn, customers, items, today)
        first = conn.execute("SELECT min(id) FROM ledger_customer").fetchone()[0]
        conn.execute(f"""
            INSERT INTO collections_activity (customer_id, kind, outcome, contact_id, note, occurred_on, follow_up_on,
                                              created_by_id, created_at)
            SELECT {first} + (random() * ({customers} - 1))::int, 'call',
                   (ARRAY['reached','no_answer','left_message','promised'])[1 + floor(random() * 4)::int], NULL, '',
                   %(today)s::date - (random() * 60)::int,
                   CASE WHEN random() < 0.2 THEN %(today)s::date + (random() * 10)::int - 3 END, NULL, now()
            FROM generate_series(1, 20000)
        """, {"today": today})
        conn.execute(f"""
            INSERT INTO collections_promise (customer_id, activity_id, amount, currency, promised_date, taken_on,
                taken_by_id, status, level, tolerance_days, judged_on, arrived_amount)
            SELECT {first} + (random() * ({customers} - 1))::int, NULL, 1000, 'EUR', d, d - 7, NULL, s,
                   1, 3, CASE WHEN s <> 'open' THEN d + 4 END, NULL
            FROM (SELECT %(today)s::date - (random() * 80)::int + 10 AS d,
                         (ARRAY['open','kept','broken','partially_kept'])[1 + floor(random() * 4)::int] AS s
                  FROM generate_series(1, 5000)) p
        """, {"today": today})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


BUILD = """
import json, os, time
from datetime import date
from django.db import connection
from incasso.audit.events import Actor
from incasso.collections.actions.worklist import build_worklists
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
def server_cpu():  # the PostgreSQL backend serving this process (same machine), in seconds
    fields = open(f"/proc/{{backend}}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
runs, cpu, server = [], [], []
for _ in range({repeat}):
    started, cpu0, server0 = time.perf_counter(), time.process_time(), server_cpu()
    result = build_worklists(date.fromisoformat({today!r}), by=Actor(None, "bench"))
    runs.append(time.perf_counter() - started)
    cpu.append(time.process_time() - cpu0)
    server.append(server_cpu() - server0)
print(json.dumps({{"runs": [round(r, 2) for r in runs], "python_cpu_seconds": [round(c, 2) for c in cpu],
                  "server_cpu_seconds": [round(c, 2) for c in server], "entries": result.entries,
                  "collectors": result.collectors, "snoozed": result.snoozed, "load_average": os.getloadavg()}}))
"""


def time_build(url: str, repeat: int) -> dict:
    """Run 1 is the morning build of a day without entries; later runs rebuild the same day (replacing
    its open entries, which leaves dead rows for the unique index to step over)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM collections_worklistentry")
        conn.execute("VACUUM ANALYZE collections_worklistentry")
    proc = subprocess.run([str(BIN / "incasso"), "shell", "-c", BUILD.format(repeat=repeat, today=TODAY.isoformat())],
                          env=env(url), capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["first_build_seconds"] = result["runs"][0]
    result["best_seconds"] = min(result["runs"])
    return result


SESSIONS = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
keys = []
for user in get_user_model().objects.filter(username__regex=r"^c[0-9][0-9]$").order_by("username"):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "incasso.accounts.backends.PasswordBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print(",".join(keys))
"""


def signed_in_sessions(url: str) -> str:
    """One session per collector, made directly: the load test measures pages, not password hashing."""
    proc = subprocess.run([str(BIN / "incasso"), "shell", "-c", SESSIONS], env=env(url), capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip().splitlines()[-1]




SINGLE = """
import json, os, time
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from incasso.collections.models import WorklistEntry
user = get_user_model().objects.get(username="c01")
client = Client()
client.force_login(user)
entries = WorklistEntry.objects.filter(collector=user, status="open").order_by("-as_of", "-priority")
customer = entries.first().customer_id
pages = {{"worklist page": "/worklist/", "customer page": f"/customers/{{customer}}/",
          "customer collections panel": f"/worklist/customers/{{customer}}/panel/"}}
for path in pages.values():  # warm: templates compiled, translations loaded, connection open
    assert client.get(path).status_code == 200, path
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
def server_cpu():
    fields = open(f"/proc/{{backend}}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
result = {{}}
for name, path in pages.items():
    walls, cpus, servers = [], [], []
    for _batch in range({batches}):  # CPU per request: the least-disturbed batch is the page's own cost
        cpu0, server0 = time.process_time(), server_cpu()
        for _ in range({repeat}):
            started = time.perf_counter()
            client.get(path)
            walls.append(time.perf_counter() - started)
        cpus.append((time.process_time() - cpu0) / {repeat} * 1000)
        servers.append((server_cpu() - server0) / {repeat} * 1000)
    walls.sort()
    cpus.sort()
    result[name] = {{"median_ms": round(walls[len(walls) // 2] * 1000, 1), "best_ms": round(walls[0] * 1000, 1),
                    "python_cpu_ms": round(cpus[0], 1), "python_cpu_ms_median": round(cpus[len(cpus) // 2], 1),
                    "server_cpu_ms": round(min(servers), 1)}}
result["load_average"] = os.getloadavg()
print(json.dumps(result))
"""


def code_env(src: Path | None) -> dict[str, str]:
    """``PYTHONPATH`` that runs another checkout's code (``--baseline``: its ``src``) with this venv."""
    return {"PYTHONPATH": str(src / "src")} if src else {}


def single_requests(url: str, repeat: int = 20, batches: int = 5, src: Path | None = None) -> dict:
    """Each page requested alone ``batches`` x ``repeat`` times in one process (Django's test client, no
    network): median and best wall time, and the CPU per request in Python (the least and the median
    batch: neighbours' load inflates CPU time too) and in the PostgreSQL backend (least batch)."""
    proc = subprocess.run([str(BIN / "incasso"), "shell", "-c", SINGLE.format(repeat=repeat, batches=batches)],
                          env={**env(url), "INCASSO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", **code_env(src)},
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cpu_of_tree(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (gunicorn master and workers)."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


def warm_up(port: int, session: str, rounds: int) -> None:
    """Each page a few times before the measured run, so that every worker has imported the app, compiled its
    templates and loaded the translations (seconds of CPU per worker that a long-running server pays once)."""
    import re
    import urllib.request

    def get(path: str) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={session}"})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.read().decode()

    for _ in range(rounds):
        customer = re.search(r'href="/customers/(\d+)/\?next=', get("/worklist/"))
        if customer:
            get(f"/customers/{customer[1]}/")
            get(f"/worklist/customers/{customer[1]}/panel/")


def prepare_load(url: str) -> None:
    """Worklists must exist for the day the server thinks is today."""
    subprocess.run([str(BIN / "incasso"), "worklist", "build"], env=env(url), check=True, capture_output=True)
    # As autovacuum would by the time collectors log in: the fresh entries all-visible, so the page's
    # counts are index-only scans (the build itself is timed in ``time_build``, not here).
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE collections_worklistentry")


def load_test(url: str, users: int, seconds: int, *, src: Path | None = None, workers: int = 4, threads: int = 1,
              client: str = "fast") -> dict:
    """gunicorn and locust, each its own process, on loopback; p50/p95/p99 per page from locust's CSV.

    ``src``: serve another checkout's code (the baseline); ``client``: locust's ``fast`` (geventhttpclient)
    or ``requests`` user class. The CPU of the server (all workers) and of locust are both reported:
    they share the machine's two cores."""
    port = free_port()
    server_env = {**env(url), "INCASSO_ALLOWED_HOSTS": "127.0.0.1,localhost", "INCASSO_DEBUG": "0", **code_env(src)}
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "incasso.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--threads", str(threads), "--worker-class", "gthread", "--log-level", "warning"],
        env=server_env, cwd=src or ROOT,
    )
    out = ROOT / "var" / "bench" / "worklist-load"
    out.parent.mkdir(parents=True, exist_ok=True)
    sessions = signed_in_sessions(url)
    try:
        for _ in range(60):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        warm_up(port, sessions.split(",")[0], workers * 4)
        load_before, app_cpu_before = os.getloadavg(), _cpu_of_tree(server.pid)
        children_before = os.times()
        subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
             "-r", str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(out),
             "--only-summary", "--loglevel", "ERROR"],
            env={**os.environ, "BENCH_SESSIONS": sessions, "BENCH_LOCUST_CLIENT": client},
            check=False, capture_output=True, text=True,
        )
        children_after = os.times()
        load_after, app_cpu = os.getloadavg(), _cpu_of_tree(server.pid) - app_cpu_before
        locust_cpu = (children_after.children_user - children_before.children_user
                      + children_after.children_system - children_before.children_system)
    finally:
        server.terminate()
        server.wait(timeout=30)
    pages = {}
    with open(f"{out}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            pages[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                  "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
                                  "p99_ms": float(row["99%"]), "rps": round(float(row["Requests/s"]), 1)}
    requests = sum(page["requests"] for name, page in pages.items() if name != "Aggregated")
    return {"code": str(src or ROOT), "users": users, "seconds": seconds, "gunicorn": f"{workers}x{threads} gthread",
            "locust_client": client, "pages": pages, "load_average_before": load_before,
            "load_average_after": load_after, "gunicorn_cpu_seconds": round(app_cpu, 1),
            "gunicorn_cpu_ms_per_request": round(app_cpu / max(requests, 1) * 1000, 1),
            "locust_cpu_seconds": round(locust_cpu, 1),
            "locust_cpu_ms_per_request": round(locust_cpu / max(requests, 1) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="5,000 customers, 50,000 items, 15 s of load")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--no-build", action="store_true", help="skip timing the worklist build")
    parser.add_argument("--single-only", action="store_true", help="only the single-request CPU measurements")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread); 4x1 had the lowest p95 of "
                        "2x1, 2x2, 3x4, 4x1 in alternating runs on 2 cores (docs/benchmarks.md)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--locust-client", choices=["fast", "requests"], default="fast")
    parser.add_argument("--rounds", type=int, default=1, help="load runs of each code (and setting), alternating")
    parser.add_argument("--also-gunicorn", nargs="*", default=[], metavar="WORKERSxTHREADS",
                        help="further load runs of this code with other gunicorn settings, e.g. 2x2")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with (e.g. `git archive` of "
                        "the commit before), measured in the same run just before this one")
    args = parser.parse_args()
    url = PG_URL
    if args.quick:
        args.customers, args.items, args.seconds, args.rebuild = 5000, 50000, 15, True
        url = PG_URL + "_quick"
    ensure_database(url)
    report: dict = {"database": "postgresql", "customers": args.customers, "open_items_target": args.items}
    if args.rebuild or ledger_counts(url)[0] != args.customers:
        report["data_seconds"] = round(build_data(url, args.customers, args.items), 1)
    report["customers"], report["open_items"] = ledger_counts(url)
    if not args.no_build:
        report["build"] = time_build(url, 2)
        report["build_target_seconds"] = 10
    if args.single_only:
        args.no_load = True
    if not args.no_load:
        prepare_load(url)
    for round_number in range(args.rounds):
        suffix = "" if args.rounds == 1 else f"_{round_number + 1}"
        if args.baseline:
            report["baseline_single_requests" + suffix] = single_requests(url, src=args.baseline)
        report["single_requests" + suffix] = single_requests(url)
    if not args.no_load:
        options = {"workers": args.workers, "threads": args.threads, "client": args.locust_client}
        # With --rounds, baseline and this code alternate (and --also-gunicorn's settings after them), so
        # that the neighbours' load on the shared machine falls on both alike.
        for round_number in range(args.rounds):
            suffix = "" if args.rounds == 1 else f"_{round_number + 1}"
            if args.baseline:
                report["baseline_load" + suffix] = load_test(url, args.users, args.seconds, src=args.baseline,
                                                             **options)
            report["load" + suffix] = load_test(url, args.users, args.seconds, **options)
            for setting in args.also_gunicorn:
                workers, threads = (int(n) for n in setting.split("x"))
                report[f"load_{setting}{suffix}"] = load_test(url, args.users, args.seconds, workers=workers,
                                                              threads=threads, client=args.locust_client)
        report["load_target_p95_ms"] = 200
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
