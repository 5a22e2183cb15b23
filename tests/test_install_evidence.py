"""Install evidence: the pyproject mapping, pip/python output parsing, the cache, the matrix.

Nothing here installs a package: pip's resolver and installs are replaced by fakes in the
run tests, so the suite stays fast; the real measurement is ``install_evidence.run``.
"""

import sys
from pathlib import Path

import pytest

from benchmarks import install_evidence as evidence
from benchmarks.install_evidence import (
    debian,
    importtime,
    installer,
    matrix,
    pyproject,
    resolver,
    venvs,
)
from reports import results

pytestmark = pytest.mark.report

CONFLICT_STDERR = """\
ERROR: Cannot install pandas<2 because these package versions have conflicting dependencies.
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""
CONFLICT_STDOUT = """\
Looking in indexes: https://pypi.org/simple

The conflict is caused by:
    The user requested pandas<2
    The user requested (constraint) pandas<3,>=2.2

To fix this you could try to:
1. loosen the range of package versions you've specified
"""
INSTALL_STDOUT = """\
Collecting flask<4,>=3
  Downloading flask-3.1.3-py3-none-any.whl (103 kB)
Collecting werkzeug>=3.1.0
  Using cached werkzeug-3.1.3-py3-none-any.whl (224 kB)
  Downloading blinker-1.9.0-py3-none-any.whl.metadata (1.6 kB)
Processing /opt/pypi/files/click-8.3.0-py3-none-any.whl
Installing collected packages: click, werkzeug, flask
"""
IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       337 |       6725 |   json.decoder
import time:       245 |       7285 | json
import time:        80 |        120 | jsonschema
"""


def test_every_registered_tool_installs_what_pyproject_declares():
    pins = pyproject.read_pins()
    declared = set(pins.everything())
    targets = pyproject.registered_targets(pins)
    assert {t.stage for t in targets} >= {"validation"}
    for target in targets:
        if target.tool == "baseline":
            assert target.requirements == pins.core, target.name
            continue
        assert bool(target.requirements) == bool(target.module), target.name
        if target.requirements:  # the main module's package is pinned in pyproject.toml
            assert target.requirements[0] in declared, target.name
        undeclared = [r for r in target.requirements if r not in declared]
        assert len(undeclared) == len(target.notes), target.name  # each one is flagged
    pandera = next(t for t in targets if t.name == "validation.pandera")
    assert pandera.module == "pandera" and pandera.requirements[0].startswith("pandera")


def test_mapping_uses_distribution_names_and_flags_undeclared_modules():
    pins = pyproject.Pins(("pandas<3",), {"tracking": ("PyYAML>=6",), "serving": ("flask<4",)})
    installed = {"yaml": ["PyYAML"]}
    modules = ("json", "yaml", "flask", "zmq")
    target = pyproject.target_for("tracking", "t", modules, pins, installed)
    assert target.module == "yaml"  # json is in the standard library: nothing to install
    assert target.requirements == ("PyYAML>=6", "flask<4", "zmq")
    assert target.distribution == "pyyaml"
    assert target.notes == ("zmq comes from zmq, which pyproject.toml does not declare: unpinned",)
    baseline = pyproject.target_for("tracking", "baseline", ("joblib",), pins, installed)
    assert baseline.requirements == ("pandas<3",) and baseline.module == "joblib"
    assert baseline.distribution == "joblib"
    brought = pyproject.target_for("serving", "t", ("werkzeug", "flask"), pins, installed)
    assert brought.requirements == ("flask<4",) and not brought.notes  # werkzeug comes with flask
    nothing = pyproject.target_for("versioning", "git_lfs", (), pins, installed)
    assert nothing.requirements == () and nothing.module == ""


def test_pins_come_from_pyproject_without_self_references(tmp_path):
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        '[project]\nname = "My_Proj"\ndependencies = ["pandas>=2.2,<3"]\n'
        '[project.optional-dependencies]\nx = ["mlflow>=3,<4", "pandas<3"]\n'
        'all = ["my-proj[x]"]\n'
    )
    pins = pyproject.read_pins(toml)
    assert pins.core == ("pandas>=2.2,<3",)
    assert pins.extras == {"x": ("mlflow>=3,<4", "pandas<3"), "all": ()}
    assert pins.everything() == ("pandas>=2.2,<3", "mlflow>=3,<4", "pandas<3")
    assert pyproject.find_requirement({"mlflow"}, "y", pins) == "mlflow>=3,<4"
    assert pyproject.find_requirement({"pandas"}, "x", pins) == "pandas<3"  # the stage's own first


def test_pip_failures_become_one_line():
    reason = resolver.pip_error(CONFLICT_STDERR + "\n" + CONFLICT_STDOUT)
    assert reason == (
        "Cannot install pandas<2 because these package versions have conflicting dependencies.; "
        "The user requested pandas<2; The user requested (constraint) pandas<3,>=2.2"
    )
    assert resolver.pip_error("WARNING: slow\nsomething broke\n\n") == "something broke"
    assert "\n" not in resolver.pip_error("x\n" * 500) and resolver.pip_error("")


def test_pip_install_output_says_where_each_wheel_came_from():
    sources = venvs.download_sources(INSTALL_STDOUT)
    assert sources == {"downloaded": 1, "pip cache": 1, "local files": 1}


def test_import_time_is_read_for_the_module_itself():
    assert importtime.parse_importtime(IMPORTTIME, "json") == pytest.approx(0.007285)
    assert importtime.parse_importtime(IMPORTTIME, "json.decoder") is None  # nested: not asked
    assert importtime.parse_importtime(IMPORTTIME, "yaml") is None
    assert 0 < importtime.import_seconds(sys.executable, "json") < 5
    with pytest.raises(evidence.InstallEvidenceError, match="No module named"):
        importtime.import_seconds(sys.executable, "no_such_module_here")


def test_statistics_have_the_results_fields():
    once = results.stats([2.0])
    assert once == {"median": 2.0, "iqr": 0.0, "mean": 2.0, "stdev": 0.0, "min": 2.0,
                    "max": 2.0, "rounds": 1}  # fmt: skip
    three = results.stats([0.3, 0.1, 0.2])
    assert set(three) == set(results.STAT_FIELDS) and three["median"] == 0.2
    assert three["rounds"] == 3 and three["iqr"] > 0


def test_site_packages_bytes_counts_files_only(tmp_path):
    site = tmp_path / "lib" / "python3.11" / "site-packages" / "pkg"
    site.mkdir(parents=True)
    (site / "a.py").write_bytes(b"x" * 100)
    (site / "b.so").write_bytes(b"y" * 28)
    (site / "link").symlink_to(site / "a.py")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").write_bytes(b"z" * 1000)
    assert venvs.site_packages_bytes(tmp_path) == 128 + len(str(site / "a.py"))


def test_matrix_shows_each_pair_and_what_moved():
    alone = [resolver.Resolution(True, {"numpy": "2.1"}), resolver.Resolution(True, {})]
    moved = matrix.pair_outcome(["a", "b"], alone, resolver.Resolution(True, {"numpy": "2.0"}))
    assert moved.ok and moved.changed == {"numpy": ["2.1", "2.0"]}
    conflict = matrix.pair_outcome(["a", "c"], alone, resolver.Resolution(False, error="no"))
    unknown = matrix.pair_outcome(["b", "c"], alone, None)
    pairs = {("a", "b"): moved, ("a", "c"): conflict, ("b", "c"): unknown}
    table, notable = matrix.matrix_tables(["a", "b", "c"], pairs)
    assert table["columns"] == ["tool", "a", "b", "c"]
    assert table["rows"] == [["a", "·", "yes", "no"], ["b", "yes", "·", "–"],
                              ["c", "no", "–", "·"]]  # fmt: skip
    assert notable["rows"] == [["a", "b", "yes", "numpy 2.1 → 2.0"], ["a", "c", "no", "no"]]


class FakePip:
    """pip's resolver and installs, faked: counts the installs, fails one requirement."""

    def __init__(self):
        self.installs, self.resolves = 0, 0

    def resolve(self, python, requirements, constraints, offline=False):
        self.resolves += 1
        requirements = list(requirements)
        if "broken>=1" in requirements:
            return resolver.Resolution(False, error="No matching distribution found for broken")
        versions = {installer.requirement_name(r): "1.0" for r in requirements}
        return resolver.Resolution(True, {**versions, "numpy": f"2.{len(requirements)}"})

    def install_group(self, venv, requirements, constraints, fresh):
        self.installs += 1
        figures = (2.5, 3 * 2**20, ["a==1", "b==2"], {"downloaded": 0, "pip cache": 2})
        return Path(sys.executable), venvs.Measurement("", list(requirements), *figures)


@pytest.fixture
def fake_pip(monkeypatch):
    pip = FakePip()
    targets = [
        pyproject.Target("validation", "baseline", "pandas", ("pandas<3", "numpy"), "pandas"),
        pyproject.Target("validation", "pandera", "json", ("pandera<1",), "pandera"),
        pyproject.Target("validation", "great_expectations", "gx", ("broken>=1",), "broken"),
        pyproject.Target("versioning", "git_lfs", "", ()),
    ]
    fresh = venvs.Fresh(Path(sys.executable), frozenset(), 0, "23.2.1")
    monkeypatch.setattr(pyproject, "registered_targets", lambda pins: targets)
    monkeypatch.setattr(venvs.Fresh, "create", classmethod(lambda cls, path: fresh))
    monkeypatch.setattr(resolver, "resolve", pip.resolve)
    monkeypatch.setattr(venvs, "install_group", pip.install_group)
    monkeypatch.setattr(importtime, "import_seconds", lambda python, module: 0.25)
    git_lfs = {"packages": {"git-lfs": 10.7}, "missing": [], "mb": 10.7}
    monkeypatch.setattr(debian, "system_footprint",
                        lambda target: git_lfs if target.tool == "git_lfs" else
                        {"packages": {}, "missing": [], "mb": 0.0})  # fmt: skip
    return pip


def test_run_writes_a_results_file_and_reuses_the_cache(tmp_path, fake_pip):
    path = evidence.run(tmp_path, report=lambda line: None, cache_dir=tmp_path / "install-cache")
    stored = {r.tool: r for r in results.load(path).records}
    assert fake_pip.installs == 2 and list(tmp_path.glob("install-cache/*.json"))
    baseline = stored["validation.baseline"]
    assert baseline.stage == "install" and baseline.status == "ok"
    assert baseline.timings["install"]["median"] == 2.5
    assert baseline.timings["install"]["rounds"] == 1
    assert baseline.timings["import"]["rounds"] == 3
    assert baseline.details["installed_mb"] == 3.0 and baseline.details["packages"] == 2
    assert baseline.details["cache_warm"] is True and baseline.details["version"] == "1.0"
    assert baseline.details["requirements"] == ["pandas<3", "numpy"]
    failed = stored["validation.great_expectations"]
    assert failed.status == "failed" and "No matching distribution" in failed.reason
    git_lfs = stored["versioning.git_lfs"]  # no Python package: charged its Debian package
    assert git_lfs.status == "ok" and git_lfs.details["installed_mb"] == 10.7
    assert git_lfs.details["system_packages"] == {"git-lfs": 10.7}
    [table, moved] = stored["matrix"].details["tables"]
    assert table["rows"][0] == ["validation.baseline", "·", "yes", "–"]
    assert moved["rows"] == [
        ["validation.baseline", "validation.pandera", "yes", "numpy 2.2/2.1 → 2.3"]
    ]

    resolves = fake_pip.resolves
    again = evidence.run(tmp_path, report=lambda line: None, cache_dir=tmp_path / "install-cache")
    assert fake_pip.installs == 2, "a second run must not reinstall"
    assert fake_pip.resolves - resolves == 3, "only each tool alone is resolved again"
    # nothing changed: no second file, so the report stays byte for byte as it was
    assert again == path and list(tmp_path.glob("*-install*.json")) == [path]
    evidence.run(
        tmp_path, refresh=True, report=lambda line: None, cache_dir=tmp_path / "install-cache"
    )
    assert fake_pip.installs == 4


def test_uv_output_says_how_many_packages_it_fetched():
    output = "Resolved 12 packages in 40ms\nPrepared 2 packages in 1.2s\nInstalled 12 packages"
    assert venvs.uv_sources(output) == {"downloaded": 2, "uv cache": 10}
    assert venvs.uv_sources("Installed 3 packages in 5ms") == {"downloaded": 0, "uv cache": 3}
