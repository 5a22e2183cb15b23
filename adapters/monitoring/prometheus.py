"""A real Prometheus and Pushgateway (Debian's programs), started for one adapter.

Both bind 127.0.0.1 on free ports, keep their data in the adapter's temp dir (the
Pushgateway persists nothing), and are stopped by ``stop``. Prometheus scrapes the
Pushgateway every second with ``honor_labels`` (so pushed labels are kept) and
evaluates the alerting rules in ``rules.yml`` every second.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from adapters.servers import ServerError, free_port, http, stop, wait_for

INTERVAL = "1s"
PROGRAMS = ("prometheus", "prometheus-pushgateway")


def config(pushgateway_port: int) -> str:
    return f"""global:
  scrape_interval: {INTERVAL}
  evaluation_interval: {INTERVAL}
rule_files: [rules.yml]
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{pushgateway_port}"]
"""


@dataclass
class Stack:
    """The two servers of one adapter; ``start`` then ``stop``."""

    directory: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list = field(default_factory=list)
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
        (self.directory / "prometheus.yml").write_text(config(self.ports[0]))

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
        log = (self.directory / f"{name}.log").open("w")
        self.logs.append(log)
        self.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))

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

    def push(self, job: str, body: str) -> None:
        """Replace the metrics of ``job`` on the Pushgateway (text exposition format)."""
        http(f"{self.pushgateway}/metrics/job/{job}", body.encode(), "PUT")

    def api(self, path: str, **params: str):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        reply = json.loads(http(f"{self.prometheus}/api/v1/{path}{query}"))
        if reply.get("status") != "success":
            raise ServerError(f"Prometheus refused {path}: {reply.get('error', reply)}")
        return reply["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def firing(self) -> list[dict]:
        return [a for a in self.api("alerts")["alerts"] if a["state"] == "firing"]

    def stop(self) -> None:
        for process in self.processes:
            stop(process)
        self.processes.clear()
        for log in self.logs:
            log.close()
        self.logs.clear()
