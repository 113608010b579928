"""`python -m benchmarks [--only SECTIONS] [--json PATH]` (what `make bench` runs)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.environment import isolate_process_environment, machine_description
from benchmarks.harness import Bench, BenchOptions
from benchmarks.report import SectionResult, render_markdown, render_section, results_document

# Also the order they run in.
SECTION_NAMES = ("split", "calls", "fetch", "nightly", "load", "prefect", "process", "regions")


def section_list(text: str) -> list[str]:
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in SECTION_NAMES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown or text!r}; choose from "
                                         f"{','.join(SECTION_NAMES)}")
    return [name for name in SECTION_NAMES if name in wanted]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure the pipeline on the loopback replay of SCB's recordings, each figure beside a "
                    "baseline measured in the same run. Everything is written to temporary directories.")
    parser.add_argument("--only", type=section_list, default=list(SECTION_NAMES), metavar="SECTIONS",
                        help=f"comma-separated sections to run (default: all of {','.join(SECTION_NAMES)})")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--small-cells", type=positive_int, default=defaults.small_cells, metavar="N",
                        help=f"cell limit of the splitting scenario (default {defaults.small_cells}: the recorded "
                             "sources then need more calls than one 10 s window admits)")
    parser.add_argument("--load-rows", type=positive_int, default=defaults.load_rows, metavar="N",
                        help=f"rows in the load batch (default {defaults.load_rows:,})")
    parser.add_argument("--naive-rows", type=positive_int, default=defaults.naive_rows, metavar="N",
                        help=f"rows the row-by-row baseline inserts before extrapolating (default "
                             f"{defaults.naive_rows:,}; capped at 5 s)")
    return parser.parse_args(argv)


def run_sections(bench: Bench, names: list[str]) -> list[SectionResult]:
    # Imported only now: it imports Prefect, which reads PREFECT_HOME once, at import.
    from benchmarks.sections import SECTIONS

    results = []
    for name in names:
        started = time.monotonic()
        result = SECTIONS[name](bench)
        result.seconds = time.monotonic() - started
        print(render_section(result), flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    options = BenchOptions(args.small_cells, args.load_rows, args.naive_rows)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as scratch:
        isolate_process_environment(Path(scratch))
        bench = Bench(Path(scratch), options)
        try:
            results = run_sections(bench, args.only)
        finally:
            bench.close()
    machine = machine_description()
    total = time.monotonic() - started
    print(f"== README table (total {total:.0f} s) ==\n{render_markdown(machine, results)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results_document(machine, results, total), ensure_ascii=False, indent=1)
                             + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
