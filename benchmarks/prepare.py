"""Make one size's cached workload data before that size's trials run:
``python -m benchmarks.prepare --bench benchmarks/bench_S.py --rows N``.

The runner calls it before the first trial it runs at each size of a stage on synthetic
data, so that filling a cold cache (generating a million-row frame, writing a history's
CSV files) is not charged to whichever tool's trial came first: the run shows that time
apart. A stage says what it caches with a ``workload_data(bench_options, rows)`` function in
its bench file; its fixtures read the same caches (a stage without one caches nothing big).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from benchmarks.options import Options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prepare", description=__doc__)
    parser.add_argument("--bench", required=True, help="the stage's bench file")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--probe-rows", type=int, default=0)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    spec = importlib.util.spec_from_file_location("bench_prepared", args.bench)
    bench = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    make = getattr(bench, "workload_data", None)
    if make is not None:
        make(Options((args.rows,), None, (), 1, None, probe_rows=args.probe_rows,
                     smoke=args.smoke), args.rows)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
