"""Cash application matching benchmark (pure: no database).

Quality: generate a demo-profile ledger and N business days of bank statements (temp dir), parse the
statements with the core parsers, match every credit line, and compare with bank_truth.csv, per
noise class, next to a simple baseline (exact invoice number in the text, or an amount equal to
exactly one open item of the entity). Throughput: a synthetic ledger of ``--items`` open items over
``--customers`` customers and ``--lines`` bank lines (fixed seed), matched in memory.

    .venv/bin/python bench/bench_matching.py [--days 20] [--seed 1] [--lines 100000] [--items 1000000]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

from incasso.core.bank.references import rf_check_digits
from incasso.core.matching import (
    BankLineRef,
    CustomerRef,
    MatchingIndex,
    MatchSettings,
    OpenItemRef,
    Proposal,
    ProposedAllocation,
    match_line,
)
from incasso.core.matching.evaluation import Report, load_bank, load_ledger, load_truth, score
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank

AS_OF = date(2026, 11, 20)


def baseline(index: MatchingIndex):  # type: ignore[no-untyped-def]
    """Exact document number written in the text with the amount equal, else an amount equal to
    exactly one open item of the line's entity and currency; nothing else."""
    by_amount: dict[tuple[object, str, Decimal], list[OpenItemRef]] = defaultdict(list)
    for item in index.items.values():
        by_amount[(item.entity_id, item.currency, item.open_amount)].append(item)

    def propose(line: BankLineRef) -> Proposal:
        text = f"{line.structured_reference} {line.remittance_text} {' '.join(d[0] for d in line.remittance_documents)}"
        for token in re.findall(r"[A-Z]{1,4}\d{5,}", text.upper()):
            hits = [i for i in index.items_by_number(token) if i.currency == line.currency]
            if len(hits) == 1 and hits[0].open_amount == line.amount:
                item = hits[0]
                return Proposal(line.line_id, item.customer_id, (ProposedAllocation(item.item_id, item.open_amount),),
                                Decimal(1), "exact number", Decimal(0), "none", "baseline_number")
        same = by_amount.get((line.entity_id, line.currency, line.amount), [])
        if len(same) == 1:
            item = same[0]
            return Proposal(line.line_id, item.customer_id, (ProposedAllocation(item.item_id, item.open_amount),),
                            Decimal(1), "unique amount", Decimal(0), "none", "baseline_amount")
        return Proposal(line.line_id, None, (), Decimal(0), "", line.amount, "unidentified", "unidentified")

    return propose


def quality(days: int, seed: int) -> tuple[dict, Report, Report]:
    settings = MatchSettings()
    with tempfile.TemporaryDirectory(prefix="bench_matching_") as tmp:
        out = Path(tmp)
        generate(PROFILES["demo"], out, seed=seed, as_of=AS_OF)
        generate_bank(out, seed=seed, as_of=AS_OF, days=days)
        customers, items = load_ledger(out)
        started = time.perf_counter()
        lines = load_bank(out)
        parse_seconds = time.perf_counter() - started
        index = MatchingIndex.build(customers, items)
        truth = load_truth(out)
        started = time.perf_counter()
        engine = score(lines, truth, lambda line: match_line(line, index, settings, AS_OF), settings)
        match_seconds = time.perf_counter() - started
        simple = score(lines, truth, baseline(index), settings)
    meta = {"days": days, "seed": seed, "lines": len(lines), "open_items": len(items), "customers": len(customers),
            "parse_seconds": round(parse_seconds, 3), "match_seconds": round(match_seconds, 3)}
    return meta, engine, simple


def synthetic(customers: int, items: int, lines: int, seed: int) -> tuple[list[CustomerRef], list[OpenItemRef],
                                                                          list[BankLineRef]]:
    rng = Random(seed)
    entities = ("FR01", "ES01", "DE01", "IT01", "RO01", "GB01")
    prefixes = {"FR01": "FA", "ES01": "FV", "DE01": "RE", "IT01": "FT", "RO01": "FCT", "GB01": "INV"}
    words = ("Transports", "Logistik", "Costruzioni", "Trading", "Durand", "Müller", "Rossi", "Popescu", "García",
             "Smith", "Bau", "Distribuciones", "Meccanica", "Agro", "Foods", "Print")
    refs = []
    for n in range(customers):
        entity = entities[n % 6]
        name = f"{rng.choice(words)} {rng.choice(words)} {n} SRL"
        refs.append(CustomerRef(n, entity, None, str(100000 + n), name, (f"XX{n:020d}",), "EUR"))
    item_refs = []
    counters = dict.fromkeys(entities, 0)
    day0 = AS_OF.toordinal()
    for n in range(items):
        customer = refs[int(rng.random() * customers)]
        counters[customer.entity_id] += 1
        document = date.fromordinal(day0 - 20 - int(rng.random() * 300))
        item_refs.append(OpenItemRef(n, customer.customer_id, customer.entity_id, None, "invoice",
                                     f"{prefixes[customer.entity_id]}{counters[customer.entity_id]:08d}", "", "EUR",
                                     Decimal(int(rng.random() * 5_000_000) + 100) / 100, document,
                                     document + timedelta(days=30), 30))
    line_refs = []
    for n in range(lines):
        item = item_refs[int(rng.random() * items)]
        customer = refs[item.customer_id]  # type: ignore[index]
        roll = rng.random()
        structured = text = ""
        if roll < 0.6:
            text = f"Payment invoice {item.number}"
        elif roll < 0.75:
            structured = f"RF{rf_check_digits(item.number)}{item.number}"
        elif roll < 0.9:
            text = f"Facture {int(item.number.lstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ'))}"
        else:
            text = "Virement"
        line_refs.append(BankLineRef(f"L{n}", item.entity_id, item.open_amount, "EUR", AS_OF, AS_OF, customer.name,
                                     customer.ibans[0], structured, text, ()))
    return refs, item_refs, line_refs


def throughput(customers: int, items: int, lines: int, seed: int) -> dict:
    started = time.perf_counter()
    customer_refs, item_refs, line_refs = synthetic(customers, items, lines, seed)
    build_data = time.perf_counter() - started
    started = time.perf_counter()
    index = MatchingIndex.build(customer_refs, item_refs)
    build_index = time.perf_counter() - started
    settings = MatchSettings()
    started = time.perf_counter()
    auto = sum(match_line(line, index, settings, AS_OF).is_auto(settings) for line in line_refs)
    match_seconds = time.perf_counter() - started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"customers": customers, "open_items": items, "lines": lines, "synthetic_data_seconds": round(build_data, 2),
            "index_build_seconds": round(build_index, 2), "match_seconds": round(match_seconds, 2),
            "lines_per_second": round(lines / match_seconds), "auto_applied_share": round(auto / lines, 4),
            "peak_rss_mb": round(rss_kb / 1024)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)

    meta, engine, simple = quality(args.days, args.seed)
    result: dict = {"quality": {**meta, "engine": engine.overall.as_dict(), "baseline": simple.overall.as_dict(),
                                "by_class": {k: {"engine": v.as_dict(), "baseline": simple.by_class[k].as_dict()}
                                             for k, v in sorted(engine.by_class.items())},
                                "stages": dict(sorted(engine.by_stage.items())),
                                "auto_applied_errors": engine.errors[:20]}}
    print(f"Quality: {meta['lines']} lines over {args.days} business days, demo profile seed {args.seed}")
    print(f"{'noise class':<20}{'lines':>6}  {'precision':>9} {'auto':>7} {'top-1':>7}  | baseline "
          f"{'precision':>9} {'auto':>7}")
    rows = sorted(engine.by_class.items()) + [("OVERALL", engine.overall)]
    for name, bucket in rows:
        e = bucket.as_dict()
        b = (simple.overall if name == "OVERALL" else simple.by_class[name]).as_dict()
        print(f"{name:<20}{e['lines']:>6}  {e['precision']:>9.2%} {e['auto_share']:>7.1%} {e['top1_accuracy']:>7.1%}"
              f"  |          {b['precision']:>9.2%} {b['auto_share']:>7.1%}")
    targets = engine.overall.precision >= 0.995 and engine.overall.auto_lines / engine.overall.lines >= 0.9
    print(f"targets (precision >= 99.5 %, auto share >= 90 %): {'met' if targets else 'NOT met'}")
    if not args.skip_throughput:
        result["throughput"] = throughput(args.customers, args.items, args.lines, args.seed)
        t = result["throughput"]
        print(f"Throughput: {t['lines']:,} lines against {t['open_items']:,} open items / {t['customers']:,} "
              f"customers: index {t['index_build_seconds']} s, matching {t['match_seconds']} s "
              f"({t['lines_per_second']:,} lines/s), peak RSS {t['peak_rss_mb']} MB")
    print(json.dumps(result, indent=2, default=str))
    return 0 if targets else 1


if __name__ == "__main__":
    sys.exit(main())
