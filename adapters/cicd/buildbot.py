"""Buildbot, the self-hosted CI server: a master and one worker on 127.0.0.1.

The master (web API and worker protocol on free loopback ports, SQLite state) runs the
pipeline as one builder; the model matrix is two builders started together by a
``Triggerable`` scheduler on a worker that takes three builds at once (the pipeline
build waits in its trigger step while holding one). A change is
announced with ``buildbot sendchange``, as a Git hook would; the verdict is the build's
result read from the master's REST API. Master and worker are stopped with their whole
process groups, also when setup fails.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time

from adapters import servers
from adapters.cicd import base, venv_program
from adapters.cicd.base import PipelineRun, Runner, edited

MASTER_CFG = """\
from buildbot.plugins import changes, schedulers, steps, util, worker

REPOSITORY = {repository!r}
CONFIGS = ("ridge", "forest")

c = BuildmasterConfig = {{}}
c["workers"] = [worker.Worker("local", "local-pass", max_builds=3)]
c["protocols"] = {{"pb": {{"port": "tcp:{pb_port}:interface=127.0.0.1"}}}}
c["change_source"] = [changes.PBChangeSource(user="change", passwd="changepw")]
c["schedulers"] = [
    schedulers.SingleBranchScheduler(
        name="on-push", change_filter=util.ChangeFilter(branch="main"),
        treeStableTimer=None, builderNames=["pipeline"]),
    schedulers.Triggerable(name="models", builderNames=[f"train-{{c}}" for c in CONFIGS]),
]


def make(*args):
    return steps.ShellCommand(name=args[0], command=["make", *args], haltOnFailure=True)


def factory(*build_steps):
    return util.BuildFactory([steps.Git(repourl=REPOSITORY, mode="incremental"), *build_steps])


pipeline = factory(
    make("lint"), make("test"), make("validate"),
    steps.Trigger(name="train", schedulerNames=["models"], waitForFinish=True,
                  haltOnFailure=True),
    make("report"),
)
c["builders"] = [util.BuilderConfig(name="pipeline", workernames=["local"], factory=pipeline)]
c["builders"] += [
    util.BuilderConfig(name=f"train-{{config}}", workernames=["local"],
                       factory=factory(make("train", f"CONFIG={{config}}"),
                                       make("save", f"CONFIG={{config}}")))
    for config in CONFIGS
]
c["www"] = {{"port": "tcp:{www_port}:interface=127.0.0.1", "plugins": {{}}}}
c["buildbotURL"] = "http://127.0.0.1:{www_port}/"
c["db"] = {{"db_url": "sqlite:///state.sqlite"}}
c["buildbotNetUsageData"] = None
"""


class BuildbotRunner(Runner):
    name = "buildbot"

    master: servers.Server | None = None
    worker: subprocess.Popen | None = None

    def config_files(self) -> dict[str, str]:
        return {"master.cfg": self._master_cfg()}

    def _master_cfg(self) -> str:
        if self.master is None:
            self.master = servers.Server(self._master_command, self.workdir, {})
            self.pb_port = servers.free_port()
        repository = str(self.workdir / "repo")
        return MASTER_CFG.format(
            repository=repository, pb_port=self.pb_port, www_port=self.master.port
        )

    def _master_command(self, port: int) -> list[str]:
        return [venv_program("buildbot"), "start", "--nodaemon", str(self.workdir / "master")]

    def prepare(self) -> None:
        master_dir, worker_dir = self.workdir / "master", self.workdir / "worker"
        self.step(
            "buildbot create-master",
            lambda: self._run([venv_program("buildbot"), "create-master", "-r", str(master_dir)]),
        )
        (master_dir / "master.cfg").write_text(self._master_cfg(), encoding="utf-8")
        self.step("start the master", lambda: self.master.start("/api/v2", timeout=120))
        self.step(
            "buildbot-worker create-worker",
            lambda: self._run(
                [
                    venv_program("buildbot-worker"),
                    "create-worker",
                    str(worker_dir),
                    f"127.0.0.1:{self.pb_port}",
                    "local",
                    "local-pass",
                ]
            ),
        )
        self.step("start the worker and wait until it is connected", self._start_worker)

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, check=True, capture_output=True, env=self.environment())

    def _start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [venv_program("buildbot-worker"), "start", "--nodaemon", str(self.workdir / "worker")],
            cwd=self.workdir,
            env=self.environment(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.wait_for(self._worker_connected, "the worker's connection", timeout=120)

    def _worker_connected(self) -> bool:
        workers = self._api("/workers")["workers"]
        return bool(workers and workers[0]["connected_to"])

    def _api(self, path: str) -> dict:
        """One REST answer of the master. Its web server sometimes cuts a response short
        while it is busy (http.client.IncompleteRead): that read is tried again, at most
        three times; the build's verdict itself is never retried."""
        url = f"{self.master.url}/api/v2{path}"
        for _ in range(2):
            try:
                return json.loads(servers.http(url))
            except http.client.IncompleteRead:
                time.sleep(0.5)
        return json.loads(servers.http(url))

    def _last_build(self) -> dict | None:
        builds = self._api("/builders/pipeline/builds?order=-number&limit=1")["builds"]
        return builds[0] if builds else None

    def run_pipeline(self) -> PipelineRun:
        before = (self._last_build() or {}).get("number", 0)
        started = time.perf_counter()
        self._run([
            venv_program("buildbot"), "sendchange", "--master", f"127.0.0.1:{self.pb_port}",
            "--auth", "change:changepw", "--who", "bakeoff", "--vc", "git", "--branch", "main",
            "--repository", str(self.repo.path), "--revision", self.repo.head(), "ci",
        ])  # fmt: skip
        servers.wait_for(lambda: self._finished_after(before), "the build's verdict", 900)
        seconds = time.perf_counter() - started
        build = self._last_build()
        steps = self._api(f"/builds/{build['buildid']}/steps")["steps"]
        failed = [step["name"] for step in steps if step["results"] not in (0, None, 3)]
        summary = "\n".join(f"{s['name']}: {s['state_string']}" for s in steps)
        return PipelineRun(build["results"], seconds, failed[0] if failed else None, summary)

    def _finished_after(self, number: int) -> bool:
        build = self._last_build()
        return bool(build and build["number"] > number and build["complete"])

    def check_config(self, files: dict[str, str]) -> list[str]:
        done = self.run_checker(files, [venv_program("buildbot"), "checkconfig", "."])
        if done.returncode == 0:
            return []
        lines = [line.strip() for line in (done.stdout + done.stderr).splitlines()]
        return [line for line in lines if line and line != "Configuration Errors:"]

    def defective_configs(self) -> dict[str, list[dict[str, str]]]:
        clean, path = self.config_files(), "master.cfg"
        return {
            base.MISSPELT_KEY: [
                edited(clean, path, 'c["schedulers"] = [', 'c["schedulrs"] = ['),
                edited(clean, path, "haltOnFailure=True)\n\n", "haltOnFalure=True)\n\n"),
            ],
            base.UNDEFINED_DEPENDENCY: [
                edited(clean, path, 'builderNames=["pipeline"]', 'builderNames=["pipelin"]'),
                edited(clean, path, 'schedulerNames=["models"]', 'schedulerNames=["model"]'),
            ],
            base.SHELL_ERROR: [
                edited(clean, path, 'make("validate")',
                       'steps.ShellCommand(name="validate",'
                       ' command="if [ -f x ]; then make validate")'),
            ],
            base.SYNTAX_ERROR: [
                edited(clean, path, "def factory(*build_steps):", "def factory(*build_steps)"),
            ],
        }  # fmt: skip

    def servers_rss_mb(self) -> dict[str, float]:
        return {
            "master": servers.tree_rss_bytes(self.master.process.pid) / 2**20,
            "worker": servers.tree_rss_bytes(self.worker.pid) / 2**20,
        }

    def close(self) -> None:
        if self.worker is not None:
            servers.stop_group(self.worker)
            self.worker = None
        if self.master is not None:
            self.master.stop()
        super().close()
