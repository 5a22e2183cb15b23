"""A bounded loopback load test of a JSON endpoint with ``hey`` (Debian package hey).

One load tool for every app: a fixed number of requests at a fixed concurrency, a
time limit, 127.0.0.1 only. hey's CSV output gives each request's latency and status;
the client's own CPU time is read from the operating system.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass

HEY = "hey"


@dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    ok: int  # answers with HTTP 200
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_second: float
    client_cpu_share: float  # hey's CPU time over (wall time x cores)

    def row(self) -> list:
        return [
            self.concurrency,
            self.requests,
            self.ok,
            round(self.p50_ms, 2),
            round(self.p95_ms, 2),
            round(self.p99_ms, 2),
            round(self.requests_per_second),
            f"{self.client_cpu_share:.0%}",
        ]


COLUMNS = ["clients", "requests", "HTTP 200", "p50 ms", "p95 ms", "p99 ms", "req/s", "hey CPU"]


def run_hey(url: str, body: str, concurrency: int, requests: int, limit: float) -> LoadResult:
    """POST ``body`` to ``url`` ``requests`` times from ``concurrency`` clients."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the load test only runs against 127.0.0.1.")
    if shutil.which(HEY) is None:
        raise FileNotFoundError("hey is not installed; install the Debian package hey.")
    command = [
        HEY,
        "-n",
        str(requests),
        "-c",
        str(concurrency),
        "-t",
        "10",
        "-m",
        "POST",
        "-T",
        "application/json",
        "-d",
        body,
        "-o",
        "csv",
        url,
    ]
    before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=True)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - before
    rows = [line.split(",") for line in done.stdout.strip().splitlines()[1:]]
    latencies = sorted(float(row[0]) * 1000 for row in rows)
    if not latencies:
        raise RuntimeError(f"hey got no answers from {url}: {done.stderr.strip()[:200]}")
    return LoadResult(
        concurrency,
        len(rows),
        sum(row[6] == "200" for row in rows),
        *(_percentile(latencies, share) for share in (0.50, 0.95, 0.99)),
        len(rows) / wall,
        cpu / (wall * (os.cpu_count() or 1)),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
