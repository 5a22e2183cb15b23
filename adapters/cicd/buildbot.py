"""Buildbot, the self-hosted CI server: a master and one worker on 127.0.0.1.

The master (web API and worker protocol on free loopback ports, SQLite state) runs the
pipeline as one builder; the model matrix is two builders started together by a
``Triggerable`` scheduler on a worker that takes three builds at once (the pipeline
build waits in its trigger step while holding one). A change is
announced with ``buildbot sendchange``, as a Git hook would; the verdict is the build's
result read from the master's REST API. Master and worker are stopped with their whole
process groups, also when setup fails.

Probes: ``master.cfg`` gains a ``probe`` builder and its scheduler (the pipeline's are
left out) and the master is reconfigured (``buildbot reconfig``). Changes come by
``buildbot sendchange`` as for the pipeline; a ``ChangeFilter(branch="main")`` is the
branch filter, a ``Periodic`` scheduler the clock, ``SecretInAFile`` the secrets,
``FileUpload`` to the master the artefact, ``decodeRC`` mapping exit 1 to RETRY the
retry (the build request goes back to the queue), and a fresh checkout
(``mode="full", method="fresh"``) each build, as a clean CI build starts, for the cache.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from adapters import processes, servers
from adapters.base import ToolFailed
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


PROBE_CFG = """{providers}
# the pipeline is left to be started by hand: the probes' changes are the probe's only
c["schedulers"][0] = schedulers.ForceScheduler(name="by-hand", builderNames=["pipeline"])
c["schedulers"].append({scheduler})
c["builders"].append(util.BuilderConfig(
    name="probe", workernames=["local"], factory=util.BuildFactory([
        steps.Git(repourl=REPOSITORY, mode="full", method="fresh"),
        steps.ShellCommand(name="probe", command={command}{options}),{after}
    ])))
"""
ON_MAIN = (
    'schedulers.SingleBranchScheduler(name="probe", treeStableTimer=None, '
    'change_filter=util.ChangeFilter(branch="main"), builderNames=["probe"])'
)
SECRETS_CFG = """
from buildbot.plugins import secrets

c["secretsProviders"] = [secrets.SecretInAFile(dirname={folder!r})]"""
PERIODIC_SECONDS = 5
PROBE_SCHEDULERS = {
    base.SCHEDULE: f'schedulers.Periodic(name="probe", builderNames=["probe"], '
    f"periodicBuildTimer={PERIODIC_SECONDS})"
}
PROBE_OPTIONS = {
    base.RETRY: ", decodeRC={0: util.SUCCESS, 1: util.RETRY}",
    base.BRANCH_FILTER: ', env={"BRANCH": util.Property("branch")}',
}
PROBE_AFTER = {
    base.ARTEFACT_UPLOAD: f'\n        steps.FileUpload(workersrc="build/{base.ARTEFACT_NAME}", '
    f'masterdest="artefacts/{base.ARTEFACT_NAME}"),'
}
CUT_SHORT = "http.client.IncompleteRead: the response ended before the length it announced"
PROBE_WAIT = 300  # seconds for a probe build (a retried one ends in a second build)


class BuildbotRunner(Runner):
    name = "buildbot"
    cache_runs = ("build 1", "build 2 from a clean checkout (Git mode='full', method='fresh')")

    master: servers.Server | None = None
    worker: subprocess.Popen | None = None
    cut_short = 0  # REST answers the master cut short, each read again

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
        """Start the worker (its output in ``worker.log``) and wait until the master lists it
        as connected; a worker that exits, or a wait past 120 s, raises with the last lines
        of both logs, which say why (a port taken, a refused login, a crash)."""
        self.worker = processes.start(
            [venv_program("buildbot-worker"), "start", "--nodaemon", str(self.workdir / "worker")],
            self.workdir / "worker.log",
            cwd=self.workdir,
            env=self.environment(),
        )
        try:
            processes.wait_for(self._worker_connected, "the worker's connection", timeout=120)
        except processes.ServerError as error:
            own = unhandled_error(self.workdir / "master" / "twistd.log")
            if own:
                raise ToolFailed(
                    f"Buildbot's master logged an error of its own ({own}), and {error}; "
                    f"{self._log_tails()}"
                ) from None
            raise processes.ServerError(f"{error}; {self._log_tails()}") from None

    def _worker_connected(self) -> bool:
        if self.worker.poll() is not None:
            raise processes.ServerError(f"the worker exited with code {self.worker.returncode}")
        workers = self._api("/workers")["workers"]
        return bool(workers and workers[0]["connected_to"])

    def _log_tails(self, lines: int = 5) -> str:
        """The last ``lines`` lines of the worker's output and of the worker's and the
        master's logs (those that have any), for an error."""
        logs = {
            "worker output": self.workdir / "worker.log",
            "worker log": self.workdir / "worker" / "twistd.log",
            "master log": self.workdir / "master" / "twistd.log",
        }
        tails = [
            f"{name} ends: " + " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
            for name, log in logs.items()
            if log.exists() and log.stat().st_size
        ]
        return "; ".join(tails) or "no log written"

    def _api(self, path: str) -> dict:
        """One REST answer of the master. Its web server sometimes cuts a response short
        while it is busy (http.client.IncompleteRead): that read is tried again, at most
        three times, and each cut is counted (``errors_read_past``: the report shows
        them); the build's verdict itself is never retried."""
        url = f"{self.master.url}/api/v2{path}"
        for _ in range(2):
            try:
                return json.loads(servers.http(url))
            except http.client.IncompleteRead:
                self.cut_short += 1
                time.sleep(0.5)
        return json.loads(servers.http(url))

    def errors_read_past(self) -> list[list]:
        """The master's REST responses cut short, each read again."""
        if not self.cut_short:
            return []
        return [["REST read of the master (read again)", CUT_SHORT, self.cut_short]]

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
        processes.wait_for(lambda: self._finished_after(before), "the build's verdict", 900)
        seconds = time.perf_counter() - started
        build = self._last_build()
        steps = self._api(f"/builds/{build['buildid']}/steps")["steps"]
        failed = [step["name"] for step in steps if step["results"] not in (0, None, 3)]
        summary = "\n".join(f"{s['name']}: {s['state_string']}" for s in steps)
        return PipelineRun(build["results"], seconds, failed[0] if failed else None, summary)

    def _finished_after(self, number: int) -> bool:
        build = self._last_build()
        return bool(build and build["number"] > number and build["complete"])

    def probe_config(self, feature: str) -> dict[str, str]:
        """The probe builder's master.cfg, loaded into the running master at once."""
        if feature == base.SECRETS:
            step = self.probe_step(feature, secret="%(secret:probe)s")
            command = f"util.Interpolate({step!r})"
        elif feature == base.BRANCH_FILTER:  # the step names the branch it ran for
            command = repr(["sh", "-c", self.probe_step(feature).replace("ran", "ran-$BRANCH")])
        else:
            command = repr(["sh", "-c", self.probe_step(feature)])
        folder = self.workdir / "secrets"
        if self.probe_secret:
            folder.mkdir(mode=0o700)
            (folder / "probe").write_text(self.probe_secret, encoding="utf-8")
            (folder / "probe").chmod(0o600)  # SecretInAFile refuses a file others can read
        text = self._master_cfg() + PROBE_CFG.format(
            providers=SECRETS_CFG.format(folder=str(folder)) if self.probe_secret else "",
            scheduler=PROBE_SCHEDULERS.get(feature, ON_MAIN),
            command=command,
            options=PROBE_OPTIONS.get(feature, ""),
            after=PROBE_AFTER.get(feature, ""),
        )
        (self.workdir / "master" / "master.cfg").write_text(text, encoding="utf-8")
        self._reconfigure()
        return {"probe.txt": f"{feature}\n"}  # the commit the probe's change names

    def _reconfigure(self) -> None:
        """What ``buildbot reconfig`` does (it needs the twistd.pid that a --nodaemon
        master does not write): SIGHUP to the master, then wait for its verdict in its log."""
        log = self.workdir / "master" / "twistd.log"
        ends = ("configuration update complete", "configuration update aborted",
                "configuration update partially applied")  # fmt: skip

        def verdicts() -> list[str]:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
            return [line for line in lines if any(end in line for end in ends)]

        before = len(verdicts())
        os.kill(self.master.process.pid, signal.SIGHUP)
        processes.wait_for(lambda: len(verdicts()) > before, "the master's reconfiguration", 120)
        if ends[0] not in verdicts()[-1]:
            raise RuntimeError(verdicts()[-1])

    def _probe_builds(self, after: int) -> list[dict]:
        path = "/builders/probe/builds?order=number&property=branch"
        return [b for b in self._api(path)["builds"] if b["number"] > after]

    def _last_probe_number(self) -> int:
        builds = self._api("/builders/probe/builds?order=-number&limit=1")["builds"]
        return builds[0]["number"] if builds else 0

    def _sendchange(self, branch: str, revision: str) -> None:
        self._run([
            venv_program("buildbot"), "sendchange", "--master", f"127.0.0.1:{self.pb_port}",
            "--auth", "change:changepw", "--who", "bakeoff", "--vc", "git", "--branch", branch,
            "--repository", str(self.repo.path), "--revision", revision, "probe.txt",
        ])  # fmt: skip

    def _wait_probe(self, after: int, done) -> list[dict]:
        """Probe builds numbered above ``after`` once ``done(builds)`` holds."""
        from buildbot.process.results import RETRY

        def finished():
            builds = self._probe_builds(after)
            complete = [b for b in builds if b["complete"] and b["results"] != RETRY]
            return bool(complete) and done(builds)

        processes.wait_for(finished, "the probe build's verdict", PROBE_WAIT)
        return self._probe_builds(after)

    def _output(self, builds: list[dict]) -> str:
        """The builds' results and every log line of their steps."""
        lines = []
        for build in builds:
            lines.append(f"build {build['number']}: {build['state_string']}")
            for step in self._api(f"/builds/{build['buildid']}/steps")["steps"]:
                for log in self._api(f"/steps/{step['stepid']}/logs")["logs"]:
                    chunks = self._api(f"/logs/{log['logid']}/contents")["logchunks"]
                    # a stdio log line starts with its stream: o(ut), e(rr) or h(eader)
                    text = "".join(chunk["content"] for chunk in chunks).splitlines()
                    lines += [f"{step['name']}: {line[1:]}" for line in text]
        return "\n".join(lines)[-4000:]

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        before, started = self._last_probe_number(), time.perf_counter()
        self._sendchange(branch, self.repo.head())
        builds = self._wait_probe(before, lambda builds: True)
        last = builds[-1]
        return PipelineRun(last["results"], time.perf_counter() - started, None,
                           self._output(builds))  # fmt: skip

    def branch_attempts(self, feature: str) -> list[base.Attempt]:
        """Changes on branch feature, then on main, sent together; the build for main
        finishing means the scheduler has already judged the earlier change."""
        self.repo.git("checkout", "-q", "-b", "feature")
        try:
            elsewhere = self.repo.commit("a change on a branch", {"FEATURE.md": "wip\n"})
        finally:
            self.repo.git("checkout", "-q", "main")
        before = self._last_probe_number()
        self._sendchange("feature", elsewhere)
        self._sendchange("main", self.repo.head())
        builds = self._wait_probe(
            before,
            lambda builds: any(
                b["complete"] and b["properties"]["branch"][0] == "main" for b in builds
            ),
        )
        marks = self.marks(feature)
        attempts = []
        for branch in ("feature", "main"):
            mine = [b for b in builds if b["properties"]["branch"][0] == branch]
            attempts.append(base.Attempt(
                f"push to branch {branch}", mine[-1]["results"] if mine else None,
                self._output(mine), tuple(m.removesuffix(f"-{branch}") for m in marks
                                          if m == f"ran-{branch}")))  # fmt: skip
        return attempts

    def probe_attempts(self, feature: str) -> list[base.Attempt]:
        if feature != base.SCHEDULE:
            return super().probe_attempts(feature)
        before = self._last_probe_number()  # the Periodic scheduler fires with no change
        builds = self._wait_probe(before, lambda builds: True)
        label = f"no trigger (Periodic, every {PERIODIC_SECONDS} s)"
        output = self._output(builds[:1])
        return [base.Attempt(label, builds[0]["results"], output, tuple(self.marks(feature)),
                             triggered=False)]  # fmt: skip

    def workspaces(self) -> list[Path]:
        return [self.repo.path, self.workdir / "worker"]

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
            "master": processes.tree_rss_bytes(self.master.process.pid) / 2**20,
            "worker": processes.tree_rss_bytes(self.worker.pid) / 2**20,
        }

    def close(self) -> None:
        if self.worker is not None:
            processes.stop(self.worker)
            self.worker = None
        if self.master is not None:
            self.master.stop()
        super().close()


def unhandled_error(log: Path) -> str:
    """The exception line of the last "Unhandled Error" Twisted wrote to ``log`` (the
    traceback's last line, the tool's own words), or "" when it wrote none."""
    text = log.read_text(errors="replace") if log.exists() else ""
    start = text.rfind("Unhandled Error")
    if start < 0:
        return ""
    last = ""
    for line in text[start:].splitlines()[1:]:
        if re.match(r"\d{4}-\d\d-\d\d[ T]", line):  # the log's next entry
            break
        last = line.strip() or last
    return last
