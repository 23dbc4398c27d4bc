"""Run the benchmarks and record their raw results in docs/benchmarks.md.

    .venv/bin/python bench/run.py                 # every benchmark at its issue's size
    .venv/bin/python bench/run.py aging import    # only these
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # small sizes, to check the scripts still run

Each benchmark script compares against its own baseline in the same run and prints JSON. This
runner stores each result under bench/out/NAME.json and rewrites the "Raw results" part of
docs/benchmarks.md (between the markers) with the machine, the date and the JSON. The summary table
above the markers is written by hand from these figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- raw results: begin -->", "<!-- raw results: end -->"
QUICK = os.environ.get("BENCH_QUICK") == "1"

BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (full-size arguments, quick arguments)
    "import": (["bench/bench_import.py", "--items", "1000000"], ["bench/bench_import.py", "--items", "20000"]),
    "aging": (["bench/bench_aging.py", "--items", "1000000", "--customers", "100000"],
              ["bench/bench_aging.py", "--items", "20000", "--customers", "2000", "--rebuild"]),
    "matching": (["bench/bench_matching.py"], ["bench/bench_matching.py", "--days", "3", "--skip-throughput"]),
    # issue #3's throughput: `incasso cashapp run` on PostgreSQL (database bench_matching; the quick size
    # rebuilds it small, the next full run rebuilds it at full size)
    "cashapp": (["bench/bench_matching.py", "--database"],
                ["bench/bench_matching.py", "--database", "--customers", "2000", "--items", "20000",
                 "--lines", "2000"]),
    "worklist": (["bench/bench_worklist.py"], ["bench/bench_worklist.py", "--quick"]),
    "disputes": (["bench/bench_disputes.py"], ["bench/bench_disputes.py", "--quick"]),
    "dunning": (["bench/bench_dunning.py"], ["bench/bench_dunning.py", "--quick"]),
    "reports": (["bench/bench_reports.py"], ["bench/bench_reports.py", "--repeat", "1"]),  # reads bench_aging
    "corpus": (["bench/corpus_report.py", "--print"], ["bench/corpus_report.py", "--print"]),
}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}{load}"


def run(name: str) -> dict:
    full, quick = BENCHMARKS[name]
    script = ROOT / (quick if QUICK else full)[0]
    if not script.exists():
        return {"skipped": f"{script.relative_to(ROOT)} does not exist yet"}
    args = quick if QUICK else full
    started = dt.datetime.now(dt.UTC)
    proc = subprocess.run([PYTHON, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    result: dict = {"command": " ".join(args), "started": started.isoformat(timespec="seconds"),
                    "exit": proc.returncode}
    text = proc.stdout.strip()
    try:
        result["result"] = json.loads(text)
    except json.JSONDecodeError:
        parsed = []
        for line in text.splitlines():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        result["result"] = parsed or text[-4000:]
    if proc.returncode:
        result["stderr"] = proc.stderr[-4000:]
    return result


def main(names: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    failures = 0
    sections = []
    for name in names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        result = run(name)
        failures += bool(result.get("exit"))
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(json.dumps(result, indent=2, default=str)[:3000], flush=True)
        sections.append(f"### {name}\n\n```json\n{json.dumps(result, indent=2, default=str)}\n```\n")
    header = (f"Run on {dt.date.today().isoformat()} ({'quick sizes' if QUICK else 'full sizes'}) "  # noqa: DTZ011
              f"on {machine()}.\n\n")
    raw = f"{BEGIN}\n{header}" + "\n".join(sections) + f"{END}"
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if BEGIN in doc and END in doc:
        doc = doc[: doc.index(BEGIN)] + raw + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip() + "\n\n## Raw results\n\n" + raw + "\n"
    if not QUICK:
        DOC.write_text(doc)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
