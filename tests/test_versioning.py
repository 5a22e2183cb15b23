"""Conformance suite for the versioning stage: written once, run for every versioner.

Every tool that can restore commits three small versions of the Wish data and must give
each one back byte for byte, through its own restore, a teammate's fresh clone, and a
read that leaves the working copy alone. A damaged or missing object in the remote must
be an error, never a wrong file. HOME points at an empty directory for the whole module
and must still be empty at the end.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import AdapterError, NotSupported
from adapters.versioning.base import DATA_FILE, file_digest
from scenarios import history, wish

pytestmark = pytest.mark.versioning
TOOLS = list(registry.tools("versioning"))
RESTORING = [tool for tool in TOOLS if tool != "neptune"]  # neptune: see its own tests


@pytest.fixture(scope="module", autouse=True)
def empty_home(tmp_path_factory):
    """HOME is an empty directory while the module runs, and must still be empty after."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        yield home
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [], f"the adapters wrote to HOME: {written}"


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> list[tuple[Path, str]]:
    """Three versions of a small data set: (file, sha256)."""
    folder = tmp_path_factory.mktemp("history")
    steps = history.history(wish.generate(300, seed=5), versions=3)
    files = [history.write_version(v, folder / f"{v.name}.csv") for v in steps]
    return [(path, file_digest(path)) for path in files]


def _open(tool: str, **options):
    reason = registry.missing("versioning", tool)
    if reason:
        pytest.skip(f"not run: {reason}")
    return registry.load("versioning", tool)(**options)


def _commit_all(adapter, versions) -> list[str]:
    ids = []
    for number, (path, _) in enumerate(versions):
        adapter.data_path.write_bytes(path.read_bytes())
        ids.append(adapter.commit(f"version {number}"))
    return ids


@pytest.fixture(scope="module", params=RESTORING)
def committed(request, versions):
    """(adapter, version ids) with the three versions committed."""
    with _open(request.param) as adapter:
        yield adapter, _commit_all(adapter, versions)


def _sha(path: Path) -> str:
    return file_digest(path)


def test_versions_are_listed_in_commit_order(committed):
    adapter, ids = committed
    assert len(set(ids)) == 3
    assert adapter.versions() == ids


ANSWER = "answer: "


def _read_elsewhere(adapter, ids: list[str], destination: Path) -> dict:
    """What another process, given only the work folder and the ids, gets back."""
    command = [sys.executable, __file__, adapter.name, str(adapter.workdir), str(destination)]
    done = subprocess.run([*command, *ids], capture_output=True, text=True, timeout=300)
    answers = [line for line in done.stdout.splitlines() if line.startswith(ANSWER)]
    assert answers, f"the reading process failed: {done.stderr[-500:]}"
    return json.loads(answers[-1][len(ANSWER) :])


def _serve_read(tool: str, workdir: str, destination: str, *ids: str) -> None:
    """The other process: a teammate's clone of each version, then the version list."""
    adapter = registry.load("versioning", tool)(Path(workdir))
    try:
        restored = [adapter.clone_restore(v, Path(destination) / str(n)) for n, v in enumerate(ids)]
        answer = {"sha256": [file_digest(p) for p in restored], "versions": adapter.versions()}
    except NotSupported as error:
        answer = {"not_supported": str(error)}
    print(ANSWER + json.dumps(answer), flush=True)


def test_a_commit_is_shared_when_the_call_returns(committed, versions, tmp_path):
    adapter, ids = committed
    assert "commit" not in adapter.not_equivalent
    seen = _read_elsewhere(adapter, ids, tmp_path / "elsewhere")
    assert seen.get("sha256") == [digest for _, digest in versions], seen
    assert seen["versions"] == adapter.versions()


def test_restore_gives_back_every_version_exactly(committed, versions):
    adapter, ids = committed
    for version, (_, digest) in reversed(list(zip(ids, versions, strict=True))):
        restored = adapter.restore(version)
        assert _sha(restored) == digest
        assert adapter.identify(restored) == version


def test_identify_returns_none_for_data_never_committed(committed, tmp_path):
    adapter, _ = committed
    stranger = tmp_path / DATA_FILE
    stranger.write_text("price\n1.0\n", encoding="utf-8")
    assert adapter.identify(stranger) is None


def test_a_commit_after_a_restore_becomes_the_newest_version(committed, versions):
    adapter, ids = committed
    adapter.restore(ids[0])
    adapter.data_path.write_text("price\n2.0\n", encoding="utf-8")
    newest = adapter.commit("after a restore")
    assert adapter.versions() == [*ids, newest]
    assert adapter.identify(adapter.restore(ids[2])) == ids[2]


def test_teammate_fresh_clone_gets_an_old_version_from_the_remote(committed, versions, tmp_path):
    adapter, ids = committed
    restored = adapter.clone_restore(ids[0], tmp_path / "teammate")
    assert _sha(restored) == versions[0][1]


def test_reading_a_version_leaves_the_working_copy_alone(committed, versions):
    adapter, ids = committed
    before = _sha(adapter.restore(ids[2]))
    assert hashlib.sha256(adapter.read_version(ids[1])).hexdigest() == versions[1][1]
    assert _sha(adapter.data_path) == before


def test_diff_names_the_data_file_only_when_it_changed(committed):
    adapter, ids = committed
    assert adapter.diff(ids[0], ids[1]) == [DATA_FILE]
    assert adapter.diff(ids[1], ids[1]) == []


def test_remote_holds_at_least_one_full_copy_of_each_version(committed, versions):
    adapter, _ = committed
    largest = max(path.stat().st_size for path, _ in versions)
    assert adapter.stored_bytes() >= largest
    assert adapter.object_files()


def test_unknown_version_is_an_error_naming_the_operation(committed):
    adapter, _ = committed
    with pytest.raises(AdapterError, match=rf"versioning\.{adapter.name} failed in restore"):
        adapter.restore("0" * 16)


def test_setup_and_commands_are_recorded(committed):
    adapter, _ = committed
    assert adapter.setup_steps and all(step.seconds >= 0 for step in adapter.setup_steps)
    assert adapter.executed


@pytest.fixture(params=RESTORING)
def damaged(request, versions):
    """An adapter with two versions whose objects in the remote are then damaged."""
    with _open(request.param) as adapter:
        yield adapter, _commit_all(adapter, versions[:2])


def _replace_with_flipped_byte(path: Path) -> None:
    # a new file, not an in-place write: Git LFS hard-links objects into every clone
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.chmod(0o644)
    fresh = path.with_name(path.name + ".damaged")
    fresh.write_bytes(bytes(data))
    os.replace(fresh, path)


def test_a_damaged_or_missing_remote_object_is_an_error_not_a_wrong_file(damaged, tmp_path):
    adapter, ids = damaged
    objects = adapter.object_files()
    _replace_with_flipped_byte(objects[0])
    for path in objects[1:]:
        path.unlink()
    for number, version in enumerate(ids):
        target = tmp_path / f"teammate-{number}"
        with pytest.raises(AdapterError, match=r"failed in clone_restore: \S"):
            adapter.clone_restore(version, target)
        assert not (target / DATA_FILE).exists(), "a wrong file was left in place"


@pytest.fixture(scope="module")
def neptune_run(versions):
    with _open("neptune") as adapter:
        yield adapter, _commit_all(adapter, versions)


def test_neptune_offline_records_only_the_path(neptune_run):
    adapter, ids = neptune_run
    assert adapter.versions() == ids
    for version in ids:
        record = adapter.version_record(version)
        assert str(adapter.data_path) in record
        assert "sha256" not in record and "hash" not in record


def test_neptune_offline_cannot_give_a_version_back(neptune_run):
    adapter, ids = neptune_run
    with pytest.raises(NotSupported, match=r"restore is not supported by neptune: .*offline mode"):
        adapter.restore(ids[0])
    with pytest.raises(NotSupported, match="identify is not supported by neptune"):
        adapter.identify(adapter.data_path)


def test_neptune_commit_is_marked_and_another_process_gets_nothing_back(neptune_run, tmp_path):
    adapter, ids = neptune_run
    assert adapter.not_equivalent["commit"].startswith("not shared")
    seen = _read_elsewhere(adapter, ids, tmp_path / "elsewhere")
    assert "clone_restore is not supported by neptune: offline" in seen.get("not_supported", "")


def test_temporary_directories_are_removed_on_close(versions):
    adapter = _open("baseline")
    with adapter:
        _commit_all(adapter, versions[:1])
    assert not adapter.workdir.exists()


if __name__ == "__main__":
    _serve_read(*sys.argv[1:])
