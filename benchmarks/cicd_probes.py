"""Judging the CI/CD feature probes: what the attempts of ``Runner.exercise(feature)``
must show for a yes. Each judge returns the evidence of a yes or raises
``probes.Absent`` with what was seen; ``probes.record_probe`` turns that into the
answer (and a tool's NotSupported or AdapterError into theirs)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from adapters.cicd import base
from adapters.cicd.base import Attempt, ProbeRun
from benchmarks import probes


def exercise(runner, feature: str) -> Callable[[], str]:
    """The probe of ``feature`` on ``runner``: run it, then judge what happened."""
    return lambda: JUDGES[feature](runner.exercise(feature))


def said(attempt: Attempt) -> str:
    """What the system said last: its last line naming an error, else its last line."""
    lines = [line.strip() for line in attempt.output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["(no output)"])[-1][:200]


def verdict(attempt: Attempt) -> str:
    if attempt.returncode is None:
        return f"{attempt.label}: no run"
    return f"{attempt.label}: exit {attempt.returncode}, step wrote {list(attempt.marks)}"


def branch_filter(run: ProbeRun) -> str:
    elsewhere, main = run.attempts
    if elsewhere.marks:
        raise probes.Absent(f"it ran for the push to branch feature ({verdict(elsewhere)})")
    if main.returncode != 0 or not main.marks:
        raise probes.Absent(f"it did not run for the push to main either ({verdict(main)}: "
                             f"{said(main)})")  # fmt: skip
    return f"no run for the push to branch feature ({verdict(elsewhere)}); {verdict(main)}"


def cache(run: ProbeRun) -> str:
    first, second = run.attempts
    for attempt in run.attempts:
        if attempt.returncode != 0:
            raise probes.Absent(f"{verdict(attempt)}: {said(attempt)}")
    if "miss" not in first.marks:
        raise probes.Absent(f"run 1 did not build the cache ({verdict(first)})")
    if "miss" in second.marks:
        raise probes.Absent(f"run 2 did not find what run 1 cached ({verdict(second)})")
    reused = "its step found the cache" if second.marks else "the cached step was skipped"
    return f"{verdict(first)}; {verdict(second)}: {reused}"


def artefact_upload(run: ProbeRun) -> str:
    (job,) = run.attempts
    if job.returncode != 0 or not job.marks:
        raise probes.Absent(f"the job failed ({verdict(job)}): {said(job)}")
    written = job.marks[-1]
    where = [path for path, sha in run.collected.items() if sha == written]
    if not where:
        raise probes.Absent(
            f"nothing collected: the job wrote build/{base.ARTEFACT_NAME} (exit 0) and no copy "
            f"of it is outside the job's workspace ({len(run.collected)} other files named so)"
        )
    return (
        f"the job's build/{base.ARTEFACT_NAME} (sha256 {written[:12]}) was collected at {where[0]}"
    )


def secrets(run: ProbeRun) -> str:
    (job,) = run.attempts
    digest = hashlib.sha256(run.secret.encode()).hexdigest()
    reached = digest in job.marks
    shown = "the secret is" in job.output
    masked = shown and run.secret not in job.output
    if reached and masked:
        lines = [line for line in job.output.splitlines() if "the secret is" in line]
        line = ([line for line in lines if "echo" not in line] or lines)[-1]
        return f"the step hashed the given secret correctly; its output shows {line.strip()!r}"
    seen = [
        "reached the step" if reached else f"did not reach the step ({verdict(job)})",
        "masked in the output" if masked else
        ("printed in clear in the output" if shown else "the step's output is not shown"),
    ]  # fmt: skip
    raise probes.Absent(f"the secret {seen[0]}, {seen[1]}")


def schedule(run: ProbeRun) -> str:
    for attempt in run.attempts:
        if not attempt.triggered and attempt.marks:
            return f"{attempt.label}: a run started without any trigger ({verdict(attempt)})"
    demand = [a for a in run.attempts if a.triggered]
    if demand and demand[0].marks and not any(a.left_running for a in demand):
        raise probes.Absent(
            f"no clock: the pipeline ran only when invoked ({verdict(demand[0])}) and no process "
            "of the system stayed running after it returned"
        )
    raise probes.Absent(
        "no run started without a trigger: " + "; ".join(map(verdict, run.attempts))
    )


def retry(run: ProbeRun) -> str:
    (job,) = run.attempts
    if job.returncode == 0 and job.marks == ("fail", "pass"):
        return f"the flaky step failed, was run again by the system and passed ({verdict(job)})"
    raise probes.Absent(f"not retried: {verdict(job)}: {said(job)}")


JUDGES: dict[str, Callable[[ProbeRun], str]] = {
    base.BRANCH_FILTER: branch_filter,
    base.CACHE: cache,
    base.ARTEFACT_UPLOAD: artefact_upload,
    base.SECRETS: secrets,
    base.SCHEDULE: schedule,
    base.RETRY: retry,
}
