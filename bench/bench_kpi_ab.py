"""KPIs of one entity and one month, A/B against the KPI loaders of an earlier commit, same run.

    .venv/bin/python bench/bench_kpi_ab.py --against c741bbe~1 [--rounds 6] [--functions cash,paid_items]
                                           [--queries]

Loads ``src/incasso/reports/kpis/loaders.py`` as it was at ``--against`` (``git show``) and runs
``kpi_table`` (FR01, October 2026, on the ``bench_reports`` database of ``bench_reports.py``) with
that version's ``--functions`` patched in (A) and with today's (B), alternating the order per round,
and prints per run wall time, client CPU, backend CPU and parallel workers' CPU (polled as
``bench_aging.py`` does) with the load average, the medians, and whether both tables are identical.
``--queries``: also each query of one B run with its wall time and backend CPU, longest first.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_reports as br  # noqa: E402


def _old_loaders(revision: str):  # type: ignore[no-untyped-def]
    text = subprocess.run(["git", "show", f"{revision}:src/incasso/reports/kpis/loaders.py"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_kpi_loaders.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_kpi_loaders", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["old_kpi_loaders"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--functions", default="cash,paid_items")
    parser.add_argument("--queries", action="store_true")
    args = parser.parse_args()
    br._django(br.PG_URL)
    from django.db import connection

    from incasso.ledger.models import LegalEntity
    from incasso.reports.kpis import KpiParams, kpi_table, loaders
    from incasso.reports.kpis.render import as_json

    old = _old_loaders(args.against)
    names = args.functions.split(",")
    versions = {"A": {n: getattr(old, n) for n in names}, "B": {n: getattr(loaders, n) for n in names}}
    entity = LegalEntity.objects.get(code="FR01")
    params = KpiParams(start=date(2026, 10, 1), end=date(2026, 10, 31), by="entity", entity_ids=(entity.pk,))
    kpi_table(params)  # warm
    workers = br._workers()
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    tables = {}
    for round_ in range(args.rounds):
        for name in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
            for function, value in versions[name].items():
                setattr(loaders, function, value)
            workers.start()
            started, cpu, backend = time.perf_counter(), time.process_time(), br._server_cpu()
            tables[name] = as_json(kpi_table(params))
            wall, client, server = time.perf_counter() - started, time.process_time() - cpu, br._server_cpu() - backend
            worker_cpu, poller_cpu = workers.stop()
            runs[name].append({"wall": round(wall, 3), "client_cpu": round(client - poller_cpu, 3),
                               "backend_cpu": round(server, 3), "workers_cpu": round(worker_cpu, 3), "load": _load()})

    def median(name: str, field: str) -> float:
        values = sorted(r[field] for r in runs[name])
        return values[len(values) // 2]

    result = {"against": args.against, "functions": names, "runs": runs, "same_tables": tables["A"] == tables["B"],
              "medians": {name: {f: median(name, f) for f in ("wall", "client_cpu", "backend_cpu", "workers_cpu")}
                          for name in runs}}
    if args.queries:
        log: list[tuple[float, float, str]] = []
        stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat")

        def backend_cpu() -> float:  # not br._server_cpu: that runs a query, which would come back here
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        def wrapper(execute, sql, values, many, context):  # type: ignore[no-untyped-def]
            started, backend = time.perf_counter(), backend_cpu()
            try:
                return execute(sql, values, many, context)
            finally:
                log.append((time.perf_counter() - started, backend_cpu() - backend, sql))

        with connection.execute_wrapper(wrapper):
            kpi_table(params)
        result["queries_of_one_b_run"] = [{"wall": round(w, 3), "backend_cpu": round(c, 3), "sql": s[:160]}
                                         for w, c, s in sorted(log, reverse=True)[:8]]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
