"""The ``bakeoff`` command: list stages and tools, run comparisons, render the report."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPILOG = """examples:
  bakeoff list                                   stages, tools, and which are installed
  bakeoff run --quick                            every stage and tool once: a smoke run
  bakeoff run --stage validation --tools pandera,baseline --rows 100000
  bakeoff run --stage validation --data summer-products.csv
  bakeoff run --stage tracking --topology team   MLflow on PostgreSQL, 1/4/16 concurrent clients
  bakeoff run --stage orchestration --topology team   Airflow CeleryExecutor + Redis, 2 workers
  bakeoff run --stage validation --engine spark  the rules on PySpark, local[2]
  bakeoff run                                    every stage at its default sizes; what an
                                                 earlier run measured under the same key is
                                                 reused, and a killed run resumes
  bakeoff run --force tracking.mlflow            measure MLflow's tracking trials again
  bakeoff install-evidence                       install each tool in a fresh venv, measure it
  bakeoff report                                 render reports/out/report.html and .md
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bakeoff",
        description="Compare MLOps tools by running one sales-model workload through each, "
        "stage by stage, and report measured times, memory, setup steps and correctness.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="list stages and tools, and whether each is installed")
    run = commands.add_parser("run", help="run a stage's comparison and store the results")
    run.add_argument("--stage", default="all", help="a stage name, or 'all' (default)")
    run.add_argument("--tools", default="", help="comma-separated tools (default: every tool)")
    run.add_argument("--rows", type=int, help="one row count instead of the stage's sizes")
    run.add_argument(
        "--data",
        type=Path,
        help="your Wish-schema CSV instead of synthetic data; run at the file's own size, or "
        "with --rows resampled (seeded) to that many rows",
    )
    run.add_argument("--repeats", type=int, default=5, help="timed rounds per operation (5)")
    run.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: small data, one cold round per operation with its checks, no "
        "feature probes or extra measures; stored in results/quick/, apart from the report's",
    )
    run.add_argument(
        "--topology",
        choices=("single", "team"),
        default="single",
        help="'team': the production set-up a team shares (servers on PostgreSQL, Redis and "
        "Celery workers, concurrent clients) for the stages that have one; default 'single'",
    )
    run.add_argument(
        "--engine",
        choices=("pandas", "spark"),
        default="pandas",
        help="'spark': validation on PySpark (local[2] unless --spark-master); default 'pandas'",
    )
    run.add_argument(
        "--postgres-url",
        help="use this PostgreSQL (postgresql://user@host:port/db) instead of starting one",
    )
    run.add_argument("--redis-url", help="use this Redis (redis://host:port/0) instead of one")
    run.add_argument("--spark-master", help="a Spark master URL instead of local[2]")
    run.add_argument(
        "--budget",
        help="a time budget, e.g. 20m: trials that took longer than what is left (in earlier "
        "runs on this machine) are left out and named, and rounds stop at the minimum",
    )
    run.add_argument(
        "--seed", type=int, default=0, help="seed of the tools' shuffled order within a size (0)"
    )
    run.add_argument(
        "--results",
        type=Path,
        help="directory for the results file, whose earlier records are reused (default: "
        "results/, and results/quick/ with --quick, which the report does not read)",
    )
    run.add_argument(
        "--time-limit",
        type=float,
        default=1800,
        help="seconds one tool at one size may take before it is stopped (1800)",
    )
    run.add_argument(
        "--force",
        nargs="?",
        const="all",
        metavar="WHAT",
        help="measure again what earlier runs measured: everything (--force), a stage "
        "(--force validation) or a tool (--force tracking.mlflow), comma-separated. Without "
        "it a trial is reused when the results folder's record of it is ok and was measured "
        "on this machine with the same tool versions, code, size, data and options; failed, "
        "not-run and smoke records are never reused",
    )
    run.add_argument(
        "--out",
        type=Path,
        help="re-render the report here after each stage, marked 'partial: N of M stages' "
        "until the last (default: reports/out/ when the results go to results/; none for "
        "--quick or another --results folder)",
    )
    evidence = commands.add_parser(
        "install-evidence",
        help="install each tool into a fresh venv: seconds, MB, packages, import time, "
        "and which pairs can share one environment (cached per tool version)",
    )
    evidence.add_argument(
        "--refresh", action="store_true", help="measure again even if a tool version is cached"
    )
    evidence.add_argument(
        "--results",
        type=Path,
        default=ROOT / "results",
        help="directory for the results file (default: results/); measurements are cached per "
        "tool version in ~/.cache/bakeoff/install/",
    )
    report = commands.add_parser("report", help="render the report from stored results")
    report.add_argument(
        "--results",
        type=Path,
        nargs="+",
        default=[ROOT / "results"],
        help="one or more results directories (default: results/)",
    )
    report.add_argument(
        "--out",
        type=Path,
        default=ROOT / "reports" / "out",
        help="where report.html, report.md and report.pptx go (default: reports/out/)",
    )
    report.add_argument(
        "--profile",
        default="mid-size/core-ml",
        help="company size/team type whose weights rank the tools, e.g. startup/experimentation "
        "(editable files in reports/profiles/; default mid-size/core-ml)",
    )
    return parser


class UsageError(Exception):
    """A bad argument: printed as one sentence, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        commands = {
            "list": list_tools,
            "run": run,
            "install-evidence": install_evidence,
            "report": report,
        }
        return commands[args.command](args)
    except UsageError as error:
        print(f"bakeoff: {error}", file=sys.stderr)
        return 2


def list_tools(args) -> int:
    from adapters import registry

    for stage in registry.stages():
        print(stage)
        for tool in registry.tools(stage):
            missing = registry.missing(stage, tool)
            print(f"  {tool:<22} {'not installed: ' + missing if missing else 'installed'}")
    return 0


def _plans(args) -> list:
    from adapters import registry, setups
    from benchmarks import runner

    if args.repeats < 1 or (args.rows is not None and args.rows < 1):
        raise UsageError("--repeats and --rows must be at least 1.")
    setup = _chosen_setup(args)
    try:
        if args.stage != "all":
            registry.tools(args.stage)  # raises UnknownTool for an unknown stage
        stages = registry.stages() if args.stage == "all" else (args.stage,)
        if setup:
            stages = _stages_with(setup, stages, args.stage)
        chosen = tuple(t for t in args.tools.split(",") if t)
        plans = []
        for stage in stages:
            tools = _tools(stage, setup, chosen)
            sizes = (args.rows,) if args.rows else setups.sizes(stage, setup, args.quick)
            if args.data and not args.rows:
                sizes = (args.data_rows,)  # the file's own size: no made-up row counts
            plans.append(
                runner.Plan(
                    stage,
                    tools,
                    sizes,
                    1 if args.quick else args.repeats,
                    args.data,
                    args.time_limit,
                    args.seed,
                    setup,
                    smoke=args.quick,
                )
            )
    except registry.UnknownTool as error:
        raise UsageError(str(error)) from None
    return plans


def _chosen_setup(args) -> str:
    """'team', 'spark' or '' from --topology/--engine; the server options go to the trials
    through the environment (adapters/services.py reads them)."""
    import os

    if args.topology == "team" and args.engine == "spark":
        raise UsageError("choose --topology team or --engine spark, not both in one run.")
    for option, name in (
        ("postgres_url", "BAKEOFF_POSTGRES_URL"),
        ("redis_url", "BAKEOFF_REDIS_URL"),
        ("spark_master", "BAKEOFF_SPARK_MASTER"),
    ):
        if getattr(args, option, None):
            os.environ[name] = getattr(args, option)
    if args.topology == "team":
        return "team"
    return "spark" if args.engine == "spark" else ""


def _stages_with(setup: str, stages, asked: str) -> tuple[str, ...]:
    """The stages that have the set-up ``setup``; a named stage without it is refused."""
    from adapters import setups

    having = tuple(s for s in stages if setup in setups.of_stage(s))
    if not having:
        option = "--topology team" if setup == "team" else "--engine spark"
        offered = [s for s in registry_stages() if setup in setups.of_stage(s)]
        raise UsageError(
            f"the {asked} stage has no {option} set-up; stages that have one: "
            f"{', '.join(offered) or 'none'}."
        )
    return having


def registry_stages() -> tuple[str, ...]:
    from adapters import registry

    return tuple(registry.stages())


def _tools(stage: str, setup: str, chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The tools of one plan: --tools (checked), or every tool of the stage or set-up; in a
    set-up, 'mlflow' chooses each of its forms there ('mlflow+postgresql', 'mlflow+sqlite')."""
    from adapters import registry, setups

    offered = tuple(setups.lookup(stage, setup).tools if setup else registry.tools(stage))
    if not chosen:
        return offered
    tools = []
    for name in chosen:
        registry.lookup(stage, setups.base_tool(name))  # UnknownTool for a typo
        matches = [t for t in offered if t == name or setups.base_tool(t) == name]
        if not matches:
            raise UsageError(
                f"{stage}.{name} has no {setup} set-up; choose from {', '.join(offered)}."
            )
        tools += [t for t in matches if t not in tools]
    return tuple(tools)


def _check_data(path: Path | None) -> int | None:
    """The user's file's row count (None without --data); a bad file is refused."""
    if path is None:
        return None
    from scenarios.loader import DataError, load_csv

    try:
        return len(load_csv(path))
    except DataError as error:
        raise UsageError(str(error)) from None


def run(args) -> int:
    from benchmarks import runner
    from benchmarks.clock import Clock

    # a shell that starts us in the background sets SIGINT to "ignore"; Ctrl-C (or a
    # SIGINT from a supervisor) must still stop the run cleanly and keep finished records
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # a supervisor's SIGTERM stops the run the same way: the running trial and every server
    # it started are stopped, finished records are kept
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.data_rows = _check_data(args.data)
    budget = _budget(args)
    plans = _plans(args)
    if args.tools:
        _refuse_missing(plans)
    force = _force(args, plans)
    folder = args.results or ROOT / "results" / ("quick" if args.quick else "")
    reuse = _stored(folder, force)
    from benchmarks import ledger

    ledger.stop_leftovers()  # what a killed run left running: before any trial starts
    stored = runner.new_results(plans)
    run_file = runner.RunFile(stored, folder, _stem(stored, args))
    renders = PartialReports(_report_out(args), folder, len(plans))
    outcome, left_out = 0, []
    try:
        left_out = runner.run_plans(plans, run_file, clock=Clock(budget), reuse=reuse,
                                    after_plan=renders.after)  # fmt: skip
    except KeyboardInterrupt:
        print(
            "interrupted: the running trial was stopped; finished records are kept "
            "(the same command again reuses them).",
            file=sys.stderr,
        )
        outcome = 130
    _closing_lines(run_file, args, folder)
    if left_out:
        print(f"left out to fit --budget {args.budget}: {'; '.join(left_out)}")
    return outcome


def _stem(stored, args) -> str:
    return f"{stored.environment['date'].replace(':', '')[:17]}-{args.stage}"


def _closing_lines(run_file, args, folder: Path) -> None:
    records = run_file.records
    if run_file.path is None:
        print(f"nothing new to store: every trial was reused or says what {folder} says "
              "already; no results file written")  # fmt: skip
        return
    print(f"results: {run_file.path} ({len(records)} records)")
    if args.quick:
        print("a smoke run: one cold round per operation, no feature probes; kept out of "
              f"the report (to see it: bakeoff report --results {folder} "
              "--out reports/out/quick)")  # fmt: skip
    from reports import timesplit

    print("\n".join(timesplit.lines(records)))


def _force(args, plans):
    """--force as a reuse.Force; a name that is no stage or tool of this run is refused."""
    from adapters import setups
    from benchmarks.reuse import Force

    if args.force is None:
        return Force()
    names = frozenset(n.strip() for n in args.force.split(",") if n.strip()) or frozenset({"all"})
    known = {"all", *(p.stage for p in plans)}
    known |= {f"{p.stage}.{t}" for p in plans for t in (*p.tools, *map(setups.base_tool, p.tools))}
    unknown = sorted(names - known)
    if unknown:
        raise UsageError(
            f"--force {','.join(unknown)}: no stage or tool of this run has that name; write "
            "--force (everything), --force validation (a stage) or --force tracking.mlflow "
            "(a tool)."
        )
    return Force(names)


def _stored(folder: Path, force):
    """What the results folder already holds, to reuse; a file bakeoff cannot read stops
    the run before anything starts."""
    from benchmarks.reuse import Reuse
    from reports.results import ResultsError

    try:
        return Reuse.load(folder, force)
    except ResultsError as error:
        raise UsageError(str(error)) from None


def _report_out(args) -> Path | None:
    """Where the report is rendered after each stage: --out, else reports/out/ for a run
    into results/ (the report's own folder); none for a smoke run or other folders."""
    if args.out is not None:
        return args.out
    return ROOT / "reports" / "out" if args.results is None and not args.quick else None


class PartialReports:
    """Renders the report after each stage that measured something, marked "partial: N of
    M stages" while stages remain; a render error never stops the benchmark."""

    def __init__(self, out: Path | None, folder: Path, stages: int):
        self.out, self.folder, self.stages = out, folder, stages
        self.measured = self.pending = False

    def after(self, done: int, measured: bool) -> None:
        self.measured |= measured
        self.pending |= measured
        last = done == self.stages  # then the mark goes, if a render ever happened
        if self.out is None or not (self.pending or (last and self.measured)):
            return
        partial = "" if last else f"{done} of {self.stages} stages"
        self.pending = False
        self.render(partial)

    def render(self, partial: str) -> None:
        import time

        from reports import render

        started = time.perf_counter()
        try:
            paths = render.render([self.folder], self.out, partial=partial)
        except Exception as error:  # whatever went wrong, the benchmark goes on
            print(f"\n*** the report was NOT rendered ({type(error).__name__}: {error}); the "
                  "benchmark goes on; run 'bakeoff report' afterwards to see why ***\n",
                  file=sys.stderr, flush=True)  # fmt: skip
            return
        shown = f"partial: {partial}" if partial else "every stage of this run"
        print(f"report: {paths[0]} ({shown}; rendered in {time.perf_counter() - started:.1f} s)",
              flush=True)  # fmt: skip


def _budget(args) -> float | None:
    """--budget in seconds; with a budget, timed rounds stop at the minimum (3)."""
    from benchmarks.clock import BudgetError, parse_budget

    if not args.budget:
        return None
    try:
        seconds = parse_budget(args.budget)
    except BudgetError as error:
        raise UsageError(str(error)) from None
    args.repeats = min(args.repeats, 3)
    return seconds


def _refuse_missing(plans) -> None:
    """Tools named with --tools must be installed; by default missing ones become 'not run'."""
    from adapters import registry, setups

    for plan in plans:
        for tool in plan.tools:
            reason = registry.missing(plan.stage, setups.base_tool(tool))
            if reason:
                raise UsageError(f"{plan.stage}.{tool} cannot run here: {reason}.")


def install_evidence(args) -> int:
    from benchmarks import install_evidence

    try:
        path = install_evidence.run(args.results, refresh=args.refresh)
    except install_evidence.InstallEvidenceError as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        print("interrupted: tools installed so far are kept in the cache.", file=sys.stderr)
        return 130
    print(f"results: {path}")
    return 0


def report(args) -> int:
    from reports import render
    from reports.results import ResultsError
    from reports.scoring import ProfileError

    _check_report_paths(args.results, args.out)
    try:
        paths = render.render(args.results, args.out, args.profile)
    except (ResultsError, ProfileError) as error:
        raise UsageError(str(error)) from None
    for path in paths:
        print(f"report: {path}")
    return 0


def _check_report_paths(directories: list[Path], out: Path) -> None:
    """Refuse a typo before anything is written: reports/out/ stays as it was."""
    for directory in directories:
        if not directory.is_dir():
            raise UsageError(
                f"the results folder {directory} does not exist; name a folder that "
                "'bakeoff run' wrote (default: results/)."
            )
    if not any(path.suffix == ".json" for d in directories for path in d.iterdir()):
        shown = ", ".join(str(d) for d in directories)
        raise UsageError(f"no results files in {shown}; run 'bakeoff run' first.")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; name a folder for the report.")


if __name__ == "__main__":
    sys.exit(main())
