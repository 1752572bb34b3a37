"""Search benchmarks: full build from a cold cache, rebuild after one change, warm search latency,
RSS of the loaded service, and retrieval metrics on the dev and held-out sets.

Run with `make bench` (or `.venv/bin/python bench/search_bench.py [--skip-cold] [--dev-only] [--repeat N]`).
Prints figures; asserts nothing (targets are in the README and issue 2). `--dev-only` never reads the
held-out set (latency over the dev questions, dev metrics only): use it while tuning.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bot.catalogue import Catalogue
from bot.config import PROJECT_ROOT, Settings
from bot.search import SearchService, build_index, make_embedder
from bot.search.accents import load_search_restorer
from bot.search.evaluate import evaluate, read_eval_file
from bot.search.glossary import load_glossary

DEV = PROJECT_ROOT / "tests" / "data" / "retrieval_dev.jsonl"
HOLDOUT = PROJECT_ROOT / "bench" / "retrieval_holdout.jsonl"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_FRESH = """
import json, sys
from bot.config import Settings
from bot.search.engine import load_service
service = load_service(Settings.from_env())
for q in json.load(sys.stdin):
    service.search(q)
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""


def bench_queries(dev_only: bool) -> list[str]:
    """The questions timed: the dev set's, plus the held-out set's unless `dev_only` (tuning runs must not
    see the held-out set at all)."""
    queries = [c.query for c in read_eval_file(DEV)]
    return queries if dev_only else queries + [c.query for c in read_eval_file(HOLDOUT)]


def fresh_service_rss(queries: list[str]) -> float:
    """What the action server pays for search: a process that only loads the service and searches."""
    out = subprocess.run([sys.executable, "-c", _FRESH], input=json.dumps(queries), capture_output=True,
                         text=True, cwd=PROJECT_ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold full build")
    ap.add_argument("--dev-only", action="store_true",
                    help="never read the held-out set: time and evaluate on the dev set only (for tuning)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="time every query N times (p50/p95 over all runs; a noisy machine needs N > 1)")
    args = ap.parse_args()
    base = Settings.from_env()
    catalogue = Catalogue.load(base)
    embedder = make_embedder(base)
    print(f"catalogue: {len(catalogue)} procedures ({catalogue.curated_count} curated), embedder {embedder.id}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(base.procedures_dir, tmp / "procedures")
        s = base.with_(procedures_dir=tmp / "procedures", models_dir=tmp / "models")
        if not args.skip_cold:
            report = build_index(Catalogue.load(s), embedder, s.index_dir, glossary=load_glossary(base))
            print(f"full build, cold cache: {report.seconds:.1f} s for {report.passages} passages "
                  f"({report.embedded} embedded)  [target ≤ 180 s]")
        else:
            shutil.copytree(base.index_dir, s.index_dir)
        path = sorted((tmp / "procedures").glob("*.yml"))[0]
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        d["aliases"]["en"].append(f"benchmark alias {time.time()}")
        path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
        t = time.perf_counter()
        changed = Catalogue.load(s)
        report = build_index(changed, embedder, s.index_dir, glossary=load_glossary(base))
        load_search_restorer(s, changed)  # as `thutuc index build` does: the accent restorer follows
        print(f"rebuild after one procedure changed (load + build + accent restorer): "
              f"{time.perf_counter() - t:.2f} s, {report.embedded} embedded  [target ≤ 5 s]")

    del catalogue
    gc.collect()
    before = rss_mb()
    service = SearchService(base, embedder=embedder)
    queries = bench_queries(args.dev_only)
    for q in queries[:20]:
        service.search(q)
    times = []
    for _ in range(max(1, args.repeat)):
        for q in queries:
            t = time.perf_counter()
            service.search(q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"search latency over {len(times)} queries: p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms  [target p95 ≤ 30 ms]")
    print(f"RSS with the search service loaded: {fresh_service_rss(queries):.0f} MB in a fresh process that loads it and "
          f"answers the queries above (here, after the rebuilds: {rss_mb():.0f} MB, {before:.0f} MB before "
          "loading)  [target ≤ 400 MB]")
    sets = (("dev", DEV),) if args.dev_only else (("dev", DEV), ("held-out", HOLDOUT))
    for name, path in sets:
        m = evaluate(service, read_eval_file(path)).metrics()
        row = "  ".join(f"{lang} {v['r1']:.2f}/{v['r5']:.2f}" for lang, v in m["per_lang"].items())
        o = m["overall"]
        print(f"{name}: R@1/R@5 {row}  | overall R@1 {o['r1']:.3f} R@5 {o['r5']:.3f} MRR@10 {o['mrr10']:.3f}"
              "  [target R@1 ≥ 0.85, R@5 ≥ 0.95 per language]")


if __name__ == "__main__":
    main()
