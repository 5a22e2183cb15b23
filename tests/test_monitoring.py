"""Conformance suite for the monitoring stage: written once, run for every drift monitor."""

import subprocess

import pytest

from adapters import registry
from adapters.base import AdapterError, NotSupported
from adapters.monitoring.base import DriftMonitor, drifted_columns
from scenarios import drift

pytestmark = pytest.mark.monitoring
TOOLS = list(registry.tools("monitoring"))
EVIDENTLY = ("evidently", "evidently_ks", "evidently_prometheus")
# Prometheus's rule decides the verdicts
PROMETHEUS = ("baseline_prometheus", "evidently_prometheus")
# Evidently drops missing values before its drift tests, so a rise in them goes unseen
MISSES = {(tool, "more_missing") for tool in EVIDENTLY}


@pytest.fixture(scope="module")
def data():
    # seed 2: an unchanged batch with no column past any tool's threshold; the
    # false-alarm rate over many seeds is measured by benchmarks/bench_monitoring.py
    reference, fresh = drift.synthetic_pair(1600, seed=2)
    return reference, {batch.name: batch for batch in drift.batches(fresh, seed=2)}


@pytest.fixture(scope="module", params=TOOLS)
def monitor(request, open_tool):
    with open_tool("monitoring", request.param) as adapter:
        yield adapter


def test_unchanged_batch_has_no_drift_and_no_alert(monitor, data):
    reference, batches = data
    verdicts = monitor.check(reference, batches["unchanged"].frame, "unchanged")
    assert drifted_columns(verdicts) == ()
    assert monitor.alert("unchanged", verdicts) is None


@pytest.mark.parametrize("kind", [*drift.KINDS, "combined"])
def test_drift_is_found_in_the_injected_columns(monitor, data, kind, request):
    if (monitor.name, kind) in MISSES:
        reason = "Evidently's drift tests drop missing values before comparing"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    reference, batches = data
    batch = batches[kind]
    found = set(drifted_columns(monitor.check(reference, batch.frame, kind)))
    assert batch.drifted <= found


def test_alert_names_the_drifted_columns(monitor, data):
    reference, batches = data
    batch = batches["combined"]
    alert = monitor.alert("combined", monitor.check(reference, batch.frame, "combined"))
    assert alert is not None and batch.drifted <= set(alert.columns)
    assert alert.raised_by == ("the tool" if monitor.name in PROMETHEUS else "bakeoff code")


def test_one_verdict_per_monitored_column_with_its_test(monitor, data):
    reference, batches = data
    verdicts = monitor.check(reference, batches["prices_up"].frame, "prices_up")
    assert [v.column for v in verdicts] == [*drift.NUMERIC, *drift.CATEGORICAL]
    assert all(v.test for v in verdicts)
    assert next(v for v in verdicts if v.column == "price").drifted


def test_report_is_written_for_the_last_check(monitor, data, tmp_path):
    reference, batches = data
    monitor.check(reference, batches["origin_mix"].frame, "origin_mix")
    path = monitor.report(tmp_path)
    assert path.exists() and path.stat().st_size > 1000
    assert path.suffix == (".json" if monitor.name == "baseline_prometheus" else ".html")


def test_setup_steps_are_recorded(monitor):
    assert monitor.setup_steps and all(s.seconds >= 0 for s in monitor.setup_steps)


def test_a_missing_column_names_stage_tool_and_operation(monitor, data):
    reference, batches = data
    current = batches["unchanged"].frame.drop(columns=["price"])
    with pytest.raises(AdapterError, match=rf"monitoring\.{monitor.name} failed in check: .*price"):
        monitor.check(reference, current, "broken")


def test_drift_injection_has_ground_truth():
    frame = drift.synthetic_pair(500, seed=1)[1]
    batch = drift.inject(frame, ("prices_up",))
    assert batch.drifted == {"price"}
    assert (batch.frame["price"] > frame["price"]).all()
    assert batch.frame.drop(columns="price").equals(frame.drop(columns="price"))
    with pytest.raises(ValueError, match="unknown drift kind 'nope'"):
        drift.inject(frame, ("nope",))


def test_prometheus_servers_are_stopped_and_ports_free():
    reason = registry.missing("monitoring", "baseline_prometheus")
    if reason:
        pytest.skip(f"not run: {reason}")
    from adapters.servers import port_is_free

    with registry.load("monitoring", "baseline_prometheus")() as adapter:
        ports, pids = list(adapter.stack.ports), [p.pid for p in adapter.stack.processes]
        listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        assert all(f"127.0.0.1:{port} " in listening for port in ports)
        assert not any(f"*:{port} " in listening for port in ports)
    assert all(port_is_free(port) for port in ports)
    assert all(not _alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_history_grows_with_each_check_where_the_tool_keeps_one(monitor, data):
    reference, batches = data
    monitor.check(reference, batches["ratings_down"].frame, "history-1")
    try:
        before = monitor.history()
    except NotSupported:
        assert monitor.name == "baseline"
        return
    monitor.check(reference, batches["unchanged"].frame, "history-2")
    assert monitor.history() == before + 1


@pytest.mark.parametrize("tool", PROMETHEUS)
def test_prometheus_rule_decides_the_verdicts(tool, data):
    """With thresholds no statistic can pass, Prometheus's rule fires for nothing: the
    verdicts are the rule's, not a flag computed in Python."""
    reason = registry.missing("monitoring", tool)
    if reason:
        pytest.skip(f"not run: {reason}")
    never = type("Never", (registry.load("monitoring", tool),), {})
    never.p_value_level, never.distance_level = 0.0, 2.0  # p >= 0; distances <= 1
    reference, batches = data
    with never() as monitor:
        assert "drift_p_value < 0.0" in monitor.user_code()["alert rule (rules.yml)"]
        verdicts = monitor.check(reference, batches["combined"].frame, "combined")
        assert drifted_columns(verdicts) == ()
        assert monitor.alert("combined", verdicts) is None
        assert any(v.score < 0.05 for v in verdicts)  # the statistics did move


def test_user_code_names_what_a_user_writes(monitor):
    code = monitor.user_code()
    assert code and all(text.strip() for text in code.values())
    if monitor.name in PROMETHEUS:
        assert "drift_p_value < 0.05" in code["alert rule (rules.yml)"]
        assert "honor_labels: true" in code["scrape config (prometheus.yml)"]
        assert monitor.system_packages == ("prometheus", "prometheus-pushgateway")
        assert registry.lookup("monitoring", monitor.name).programs == monitor.system_packages
    else:
        assert monitor.system_packages == ()


def test_detection_says_where_the_verdict_comes_from(monitor):
    if monitor.name == "baseline_prometheus":
        assert monitor.detection.startswith("same statistics as baseline")
    if monitor.name in PROMETHEUS:
        assert monitor.detection.endswith("Prometheus evaluates the alert threshold")
    assert monitor.detection


def test_dashboard_says_what_serves_it_and_what_it_shows(monitor, data, tmp_path):
    if monitor.name in ("evidently", "evidently_ks"):
        pytest.skip(
            "starts `evidently ui` (minutes here): probed by benchmarks/bench_monitoring.py"
        )
    reference, batches = data
    monitor.check(reference, batches["combined"].frame, "combined")
    try:
        board = monitor.dashboard(tmp_path)
    except NotSupported:
        assert monitor.name == "baseline"
        return
    assert board.served_by == ""  # a Grafana JSON file that nothing renders here
    assert "not rendered" in board.note
    assert board.shown == board.expected
    assert len(board.expected['ALERTS{alertname="ColumnDrift"}']) == 3


def test_checking_batches_together_gives_the_verdicts_of_checking_them_one_by_one(monitor, data):
    """For the tools with their own check_many (Prometheus decides the batches together,
    Evidently draws no page): the same verdicts, tests and scores as check. The others
    inherit the default, which is check in a loop."""
    if type(monitor).check_many is DriftMonitor.check_many:
        pytest.skip("inherits DriftMonitor.check_many: check in a loop")
    reference, batches = data
    named = [(batch.frame, f"many-{name}") for name, batch in batches.items()]
    together = monitor.check_many(reference, named)
    alone = [monitor.check(reference, frame, f"one-{name}") for frame, name in named]
    assert [drifted_columns(v) for v in together] == [drifted_columns(v) for v in alone]
    assert [[v.test for v in verdicts] for verdicts in together] == [
        [v.test for v in verdicts] for verdicts in alone
    ]
    for many, one in zip(together, alone, strict=True):
        assert [v.score for v in many] == pytest.approx([v.score for v in one])
