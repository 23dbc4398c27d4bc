"""Parse every bank file of ../shared/corpus and write the pass rates per format to docs/bank-formats.md.

    .venv/bin/python bench/corpus_report.py            # rewrites the generated table in docs/bank-formats.md
                                                       # and docs/formats.md
    .venv/bin/python bench/corpus_report.py --print    # prints the table only

"files parsed" counts files that read as statements plus files that fail exactly as the peers expect
(malformed or not a statement; listed in incasso/core/bank/tests/golden.py); "golden comparisons"
counts peer golden values (JSON/YAML/pydata files and peers' test assertions) we agree with, a
disagreement we chose and explain counting as a pass only in the "explained" column.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from incasso.core.bank import ParseError, parse_file
from incasso.core.bank.tests.golden import (
    CORPUS,
    EXPECTED_FAILURES,
    KNOWN_DISAGREEMENTS,
    SNIPPET_REASONS,
    corpus_files,
    format_family,
    golden_checks,
)

DOCS = [Path(__file__).resolve().parents[1] / "docs" / name for name in ("bank-formats.md", "formats.md")]
BEGIN, END = "<!-- corpus-report:begin -->", "<!-- corpus-report:end -->"


def run() -> str:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds = 0.0
    statements_total = entries_total = details_total = 0
    surprises: list[str] = []
    for path, kind in corpus_files(CORPUS):
        family = format_family(path, kind)
        row = rows[family]
        row["files"] += 1
        started = time.perf_counter()
        try:
            statements = parse_file(CORPUS / path)
        except ParseError as error:
            seconds += time.perf_counter() - started
            expected = EXPECTED_FAILURES.get(path)
            snippet = path.startswith("wolph-mt940/") and any(r in error.reason for r in SNIPPET_REASONS)
            if (expected and expected in error.reason) or snippet:
                row["rejected as expected"] += 1
            else:
                surprises.append(f"unexpected failure: {error}")
            continue
        seconds += time.perf_counter() - started
        if path in EXPECTED_FAILURES:
            surprises.append(f"unexpectedly parsed: {path}")
        row["parsed"] += 1
        statements_total += len(statements)
        entries_total += sum(len(s.entries) for s in statements)
        details_total += sum(len(e.details) for s in statements for e in s.entries)
        for peer, check in golden_checks(CORPUS, path):
            row["golden"] += 1
            problems = check(statements)
            markers = KNOWN_DISAGREEMENTS.get(path, {}).get(peer, ((), ""))[0]
            if not problems:
                row["golden passed"] += 1
            elif all(any(m in p for m in markers) for p in problems):
                row["golden explained"] += 1
            else:
                surprises.append(f"golden mismatch {path} ({peer}): {problems[:2]}")
    lines = [
        "| format | files | read as statements | rejected as peers expect | files OK | golden comparisons "
        "passed | explained disagreements |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals: dict[str, int] = defaultdict(int)
    for family in sorted(rows):
        row = rows[family]
        for key, value in row.items():
            totals[key] += value
        ok = row["parsed"] + row["rejected as expected"]
        lines.append(f"| {family} | {row['files']} | {row['parsed']} | {row['rejected as expected']} | "
                     f"{ok}/{row['files']} ({100 * ok / row['files']:.0f} %) | "
                     f"{row['golden passed']}/{row['golden']} | {row['golden explained']} |")
    ok = totals["parsed"] + totals["rejected as expected"]
    lines.append(f"| **all** | {totals['files']} | {totals['parsed']} | {totals['rejected as expected']} | "
                 f"{ok}/{totals['files']} ({100 * ok / totals['files']:.0f} %) | "
                 f"{totals['golden passed']}/{totals['golden']} | {totals['golden explained']} |")
    lines.append("")
    lines.append(f"Parsing the whole corpus ({totals['files']} files, {statements_total:,} statements, "
                 f"{entries_total:,} entries, {details_total:,} transaction details) took **{seconds:.1f} s** "
                 "on this 2-core machine (one process).")
    if surprises:
        lines.append("")
        lines.append("Unexplained results (fix these):")
        lines += [f"- {s}" for s in surprises]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the table instead of updating the doc")
    args = parser.parse_args()
    table = run()
    if not args.print:
        for doc in DOCS:
            if doc.exists() and BEGIN in (text := doc.read_text()):
                start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
                doc.write_text(text[:start] + "\n" + table + "\n" + text[end:])
    print(table)


if __name__ == "__main__":
    main()
