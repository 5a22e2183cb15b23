"""A real Prometheus and Pushgateway (Debian's programs), started for one adapter.

Both bind 127.0.0.1 on free ports, keep their data in the adapter's temp dir (the
Pushgateway persists nothing), and are stopped by ``stop``. Prometheus scrapes the
Pushgateway every 500 ms with ``honor_labels`` (so pushed labels are kept) and evaluates
the alerting rules in ``rules.yml`` at the same interval; the rules hold the thresholds.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from adapters.processes import ServerError, start, stop, wait_for
from adapters.servers import free_port, http

INTERVAL_SECONDS = 0.5
PROGRAMS = ("prometheus", "prometheus-pushgateway")
GROUP = "drift"


def scrape_config(pushgateway_port: int) -> str:
    return f"""global:
  scrape_interval: {INTERVAL_SECONDS * 1000:.0f}ms
  evaluation_interval: {INTERVAL_SECONDS * 1000:.0f}ms
rule_files: [rules.yml]
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{pushgateway_port}"]
"""


@dataclass
class Stack:
    """The two servers of one adapter; ``write_config``, ``start``, then ``stop``."""

    directory: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def pushgateway(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.ports[1]}"

    def write_config(self, rules: str) -> None:
        self.ports = [free_port(), free_port()]
        (self.directory / "rules.yml").write_text(rules)
        (self.directory / "prometheus.yml").write_text(scrape_config(self.ports[0]))

    def config_files(self) -> dict[str, str]:
        names = ("rules.yml", "prometheus.yml")
        return {name: (self.directory / name).read_text() for name in names}

    def start(self) -> None:
        d, (push_port, prom_port) = self.directory, self.ports
        self._spawn(
            "pushgateway",
            [PROGRAMS[1], f"--web.listen-address=127.0.0.1:{push_port}", "--persistence.file="],
        )
        self._spawn(
            "prometheus",
            [
                PROGRAMS[0],
                f"--config.file={d / 'prometheus.yml'}",
                f"--storage.tsdb.path={d / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                f"--web.console.templates={d}",
                f"--web.console.libraries={d}",
            ],
        )
        for name, url in (("pushgateway", self.pushgateway), ("prometheus", self.prometheus)):
            wait_for(lambda u=url, n=name: self._ready(u, n), f"{name} ready on {url}")

    def _spawn(self, name: str, command: list[str]) -> None:
        self.processes.append(start(command, self.directory / f"{name}.log"))

    def _ready(self, url: str, name: str) -> bool:
        for process in self.processes:
            if process.poll() is not None:
                log = (self.directory / f"{name}.log").read_text().strip().splitlines()
                raise ServerError(f"{name} exited: {(log or ['no output'])[-1]}")
        return http(f"{url}/-/ready") is not None

    def wait_scraped(self) -> float:
        """Wait until Prometheus has scraped the Pushgateway once (its target is up)."""
        return wait_for(self._target_up, "the first scrape of the Pushgateway")

    def _target_up(self) -> bool:
        targets = self.api("targets")["activeTargets"]
        return bool(targets) and targets[0]["health"] == "up"

    def api(self, path: str, **params: str):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        reply = json.loads(http(f"{self.prometheus}/api/v1/{path}{query}"))
        if reply.get("status") != "success":
            raise ServerError(f"Prometheus refused {path}: {reply.get('error', reply)}")
        return reply["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def wait_evaluated(self, selector: str, count: int, pushed: float) -> list[dict]:
        """Wait until Prometheus holds ``count`` samples of ``selector`` scraped after
        ``pushed`` (epoch seconds) and a rule evaluation has run on them; return the
        rules of the ``drift`` group as that evaluation left them (alerts included)."""
        seen: dict[str, float] = {}

        def scraped() -> bool:
            result = self.query(f"timestamp({selector}) >= {pushed!r}")
            if len(result) == count:
                seen.update(sample=max(float(r["value"][1]) for r in result), at=time.time())
            return len(result) == count

        wait_for(scraped, f"Prometheus scraping {selector}")
        # an evaluation started after this evaluates at a timestamp later than the samples
        # (its timestamp is at most one interval before its start) and sees them stored
        after = max(seen["at"], seen["sample"] + INTERVAL_SECONDS)
        group: dict = {}

        def evaluated() -> bool:
            group.update(self.rule_group(GROUP))
            return epoch(group["lastEvaluation"]) > after

        wait_for(evaluated, f"a rule evaluation of {selector}")
        return group["rules"]

    def rule_group(self, name: str) -> dict:
        groups = {g["name"]: g for g in self.api("rules")["groups"]}
        if name not in groups:
            raise ServerError(f"Prometheus loaded no rule group {name!r}: {list(groups)}")
        return groups[name]

    def stop(self) -> None:
        stop(*self.processes)
        self.processes.clear()


def epoch(rfc3339: str) -> float:
    """Seconds since the epoch of a Go RFC 3339 time (nanoseconds cut to microseconds)."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", rfc3339).replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()
