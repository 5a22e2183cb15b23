"""Conformance suite for the CI/CD stage: every CI system runs the same pipeline on the
same generated repository; it must pass on the clean repository, and a pushed lint
defect must fail the lint job, block every later job, give a failing verdict and be named
by the system as the failed job."""

import itertools

import pytest

from adapters import registry
from adapters.cicd import repo

pytestmark = pytest.mark.cicd
TOOLS = list(registry.tools("cicd"))


@pytest.fixture(scope="module", params=TOOLS)
def runs(request, open_tool):
    """(adapter, clean run, its jobs, its models, defect run, its jobs) for one system."""
    with open_tool("cicd", request.param) as runner:
        clean = runner.run_pipeline()
        clean_jobs, models = runner.repo.jobs(), runner.repo.models()
        runner.repo.clear_artefacts()
        runner.repo.push_lint_defect()
        defect = runner.run_pipeline()
        yield runner, clean, clean_jobs, models, defect, runner.repo.jobs()


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


def test_config_checker_accepts_the_clean_config_and_catches_a_defect(runs):
    runner = runs[0]
    defects = runner.defective_configs()
    if not defects:
        pytest.skip(f"{runner.name} has no checker of its pipeline config")
    assert runner.check_config(runner.config_files()) == []
    caught = [kind for kind, variants in defects.items() if runner.check_config(variants[0])]
    assert caught, "the checker found none of the injected config defects"


def test_setup_steps_and_user_config_are_recorded(runs):
    runner = runs[0]
    assert runner.setup_steps and all(step.seconds >= 0 for step in runner.setup_steps)
    files = runner.config_files()
    assert files and all((runner.repo.path / path).is_file() for path in files)
