"""Conformance suite for the CI/CD stage: every CI system runs the same pipeline on the
same generated repository; it must pass on the clean repository, and a pushed lint
defect must fail the lint job, block every later job, give a failing verdict and be named
by the system as the failed job."""

import hashlib
import itertools
import re
import time

import pytest

from adapters import registry
from adapters.base import NotRunnable, NotSupported
from adapters.cicd import base, repo

pytestmark = pytest.mark.cicd
TOOLS = list(registry.tools("cicd"))


@pytest.fixture(scope="module", params=TOOLS)
def adapter(request, open_tool):
    with open_tool("cicd", request.param) as runner:
        yield runner


@pytest.fixture(scope="module")
def runs(adapter):
    """(adapter, clean run, its jobs, its models, defect run, its jobs) for one system."""
    try:
        clean = adapter.run_pipeline()
    except NotRunnable as error:
        pytest.skip(f"not run: {error}")
    clean_jobs, models = adapter.repo.jobs(), adapter.repo.models()
    adapter.repo.clear_artefacts()
    adapter.repo.push_lint_defect()
    defect = adapter.run_pipeline()
    return adapter, clean, clean_jobs, models, defect, adapter.repo.jobs()


def test_clean_repository_passes_every_job_and_saves_both_models(runs):
    _, clean, jobs, models, _, _ = runs
    assert clean.returncode == 0, clean.output
    assert clean.failed_job is None
    assert sorted(job.name for job in jobs) == sorted(repo.JOBS)
    assert all(job.status == 0 for job in jobs)
    assert models == sorted(repo.CONFIGS)


def test_jobs_start_only_after_the_jobs_they_need(runs):
    jobs = {job.name: job for job in runs[2]}
    order = ("lint", "test", "validate")
    for before, after in itertools.pairwise(order):
        assert jobs[before].end <= jobs[after].start
    assert all(jobs["validate"].end <= jobs[f"train-{c}"].start for c in repo.CONFIGS)


def test_lint_defect_fails_lint_blocks_later_jobs_and_is_named(runs):
    _, _, _, _, defect, jobs = runs
    assert defect.returncode != 0
    assert [(job.name, job.status) for job in jobs] == [("lint", 1)]
    assert defect.failed_job == "lint", defect.output


def test_config_checker_accepts_the_clean_config_and_catches_a_syntax_error(adapter):
    defects = adapter.defective_configs()
    if not defects:
        pytest.skip(f"{adapter.name} has no checker of its pipeline config")
    try:
        clean, broken = adapter.check_configs(
            [adapter.config_files(), defects[base.SYNTAX_ERROR][0]]
        )
    except NotSupported as error:
        pytest.skip(str(error))
    assert clean == []
    assert broken, "the checker accepted a config file that does not parse"


def test_setup_steps_and_user_config_are_recorded(adapter):
    runner = adapter
    assert runner.setup_steps and all(step.seconds >= 0 for step in runner.setup_steps)
    files = runner.config_files()
    assert files and all((runner.repo.path / path).is_file() for path in files)


def test_a_secret_given_the_systems_way_reaches_the_probe_step(adapter):
    """The cheapest feature probe, run for every system (last: it changes the repository
    and Buildbot's schedulers): the step must receive the exact secret."""
    try:
        run = adapter.exercise(base.SECRETS)
    except NotSupported as error:
        pytest.skip(str(error))
    (attempt,) = run.attempts
    assert attempt.returncode == 0, attempt.output
    assert attempt.marks == (hashlib.sha256(run.secret.encode()).hexdigest(),)


def test_a_failed_first_use_install_quotes_the_installers_own_error(monkeypatch, tmp_path):
    """Jenkins's config linter is installed with npm on first use: a failure names what npm
    said, not only its exit code (here a version that does not exist, from the registry)."""
    from adapters.base import AdapterError
    from adapters.cicd import jenkins

    if registry.missing("cicd", "jenkins"):
        pytest.skip(f"not run: {registry.missing('cicd', 'jenkins')}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(jenkins, "GROOVY_LINT", "npm-groovy-lint@0.0.999")
    with pytest.raises(AdapterError, match=r"exited with code \d+: npm error .*0\.0\.999"):
        jenkins.JenkinsRunner().__enter__()


@pytest.fixture
def unstarted_buildbot(tmp_path):
    """A Buildbot runner with its master's ports chosen and its server not started (nothing
    answers); its worker, if a test starts one, is stopped afterwards."""
    from adapters import processes
    from adapters.cicd import buildbot

    if registry.missing("cicd", "buildbot"):
        pytest.skip(f"not run: {registry.missing('cicd', 'buildbot')}")
    runner = buildbot.BuildbotRunner(workdir=tmp_path)
    runner._master_cfg()
    yield runner
    if runner.worker is not None:
        processes.stop(runner.worker)


def _failed_worker_start(runner, master_log: str, error: type[Exception]) -> str:
    """Start the worker beside a master log holding ``master_log`` and no worker folder:
    the message of the ``error`` the wait raises."""
    (runner.workdir / "master").mkdir()
    (runner.workdir / "master" / "twistd.log").write_text(master_log)
    with pytest.raises(error) as raised:
        runner._start_worker()
    return str(raised.value)


MASTER_ERROR = """2026-12-08 02:37:58+0000 [-] Unhandled Error
\tTraceback (most recent call last):
\t  File "twisted/internet/epollreactor.py", line 103, in _add
\t    self._poller.modify(fd, flags)
\tbuiltins.FileNotFoundError: [Errno 2] No such file or directory
\t
2026-12-08 02:38:01+0000 [-] a later entry
"""


def test_an_error_of_the_masters_own_makes_the_wait_the_tools_failure_in_its_words(
    unstarted_buildbot,
):
    """When the master's log holds an error of its own (Twisted's "Unhandled Error", here
    the one Twisted's epoll reactor raised in a run of `make bench`), the failed wait is
    the tool's failure (ToolFailed), led by the master's words, not bakeoff's error."""
    from adapters.base import ToolFailed
    from adapters.cicd import buildbot

    message = _failed_worker_start(unstarted_buildbot, MASTER_ERROR, ToolFailed)
    own = "builtins.FileNotFoundError: [Errno 2] No such file or directory"
    assert message.startswith(f"Buildbot's master logged an error of its own ({own}), and "), (
        message
    )
    assert re.search(r"the worker exited with code \d+", message), message
    assert buildbot.unhandled_error(unstarted_buildbot.workdir / "master" / "nothing.log") == ""


def test_a_worker_that_cannot_start_says_why_with_the_logs(unstarted_buildbot):
    """Buildbot's worker exiting before it connects ends the wait at once, with the last
    lines of the worker's and master's logs (here: no worker folder was created)."""
    from adapters import processes

    started = time.perf_counter()
    message = _failed_worker_start(
        unstarted_buildbot, "first\nthe master's last line\n", processes.ServerError
    )
    assert time.perf_counter() - started < 60
    assert re.search(r"the worker exited with code \d+", message), message
    assert "worker output ends: " in message and "master log ends: " in message, message
    assert "the master's last line" in message


def test_a_rest_answer_the_master_cuts_short_is_read_again_and_counted(
    monkeypatch, unstarted_buildbot
):
    """A cut-short REST answer (IncompleteRead) is read again, never silently: the count
    goes with the trial's record as the tool's error (``errors_read_past``)."""
    import http.client

    from adapters.cicd import buildbot

    answers = iter([http.client.IncompleteRead(b"{", 9), '{"workers": []}'])

    def http(url):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(buildbot.servers, "http", http)
    runner = unstarted_buildbot
    assert runner.errors_read_past() == []
    assert runner._api("/workers") == {"workers": []}
    assert runner.errors_read_past() == [
        ["REST read of the master (read again)", buildbot.CUT_SHORT, 1]
    ]
