"""Versioning stage: each tool commits the data set's history, then gives versions back.

The history (scenarios/history.py) is committed one version per timed round; restoring
the previous version is timed from a working copy that holds the newest one; a
teammate's fresh clone-and-pull is timed into a new directory each round. Every restored
file is compared by sha256 with the original, and the remote's bytes with the sum of
the versions' sizes. At a million rows only two versions run, after a free-disk check.
A tool that can do part of the stage is measured on that part: an operation it does not
support is shown as "not supported" in its own words, not as a failure, and only what was
done is judged. A timing whose call does not meet its contract (adapters/versioning/base.py)
is marked in ``Record.not_equivalent``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import AdapterError, NotRunnable, NotSupported
from adapters.versioning.base import DATA_FILE, directory_bytes, file_digest
from benchmarks import datacache, harness, probes
from benchmarks.forked import forked_map
from benchmarks.user_code import code_lines, operation_source

STAGE = "versioning"
REPEATS = 5
LARGE = 1_000_000  # from here on: two versions, fewer rounds, a free-disk check
BYTES_PER_ROW = 500  # this schema's CSV, measured: about 490 bytes per row
COPIES_ON_DISK = 5  # history files, working copy, cache, remote, a teammate's clone

# interface operation -> its timing's name
TIMED = {
    "commit": "commit",
    "restore": "restore previous",
    "clone_restore": "teammate clone + pull",
}

pytestmark = pytest.mark.versioning


@dataclass(frozen=True)
class VersionFile:
    name: str
    change: str
    path: Path
    sha256: str
    size: int


@pytest.fixture(scope="module")
def state() -> dict:
    """What one test learns for the next (version ids, probe outcomes)."""
    return {"features": {}}


@pytest.fixture(scope="module")
def versioner(tool, rows, recorder):
    with harness.trial(recorder, tool, rows):
        _check_free_disk(rows)
    with harness.opened(recorder, registry.load(STAGE, tool)(), rows) as adapter:
        yield adapter


@pytest.fixture(scope="module")
def version_files(bench_options, rows):
    """The history written as CSV files: synthetic histories once per (code, rows) into
    the user's cache folder, read-only from then on (the tools copy them); a user's file
    into a temporary directory, removed afterwards."""
    if bench_options.data:
        with tempfile.TemporaryDirectory(prefix="bakeoff-history-") as folder:
            yield _write_history(bench_options, rows, _versions(rows), Path(folder))
        return
    datacache.synthetic_source(rows)
    yield _read_history(_history_folder(bench_options, rows))


def workload_data(bench_options, rows: int) -> None:
    """Cache what this size's trials read (``python -m benchmarks.prepare``): the history's
    version files."""
    _history_folder(bench_options, rows)


def _history_folder(bench_options, rows: int) -> Path:
    """The synthetic history's version files, written once per (code, rows) into the user's
    cache folder."""
    from scenarios import history, wish

    count = _versions(rows)
    return datacache.cached_folder(
        f"history-{rows}-{count}",
        (history.__file__, wish.__file__),
        lambda folder: _write_history(bench_options, rows, count, folder),
    )


def _versions(rows: int) -> int:
    from scenarios import history

    return 2 if rows >= LARGE else len(history.VERSION_NAMES)


def _write_history(bench_options, rows: int, count: int, folder: Path) -> list[VersionFile]:
    from scenarios import history

    frame = datacache.synthetic_or_user_frame(bench_options, rows)

    def written(version) -> VersionFile:
        harness.progress(f"writing version '{version.name}'")
        path = history.write_version(version, folder / f"{version.name}.csv")
        return VersionFile(
            version.name, version.change, path, file_digest(path), path.stat().st_size
        )

    # workload data, written before anything is timed: the CSV files on every core
    files = forked_map(written, list(history.history(frame, versions=count)))
    manifest = [{**vars(f), "path": f.path.name} for f in files]
    (folder / "versions.json").write_text(json.dumps(manifest), encoding="utf-8")
    return files


def _read_history(folder: Path) -> list[VersionFile]:
    manifest = json.loads((folder / "versions.json").read_text(encoding="utf-8"))
    return [VersionFile(**{**entry, "path": folder / entry["path"]}) for entry in manifest]


def _check_free_disk(rows: int) -> None:
    needed = rows * BYTES_PER_ROW * _versions(rows) * COPIES_ON_DISK
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        raise NotRunnable(
            f"needs {needed / 1e9:.1f} GB free in {tempfile.gettempdir()}, has {free / 1e9:.1f} GB"
        )


def test_commit(benchmark, versioner, version_files, recorder, state, tool, rows):
    pending, ids = iter(version_files), []

    def write_next():
        current = next(pending)
        shutil.copyfile(current.path, versioner.data_path)
        state["message"] = f"{current.name}: {current.change}"

    with harness.trial(recorder, tool, rows):
        before = len(versioner.executed)
        _pedantic(
            benchmark,
            "commit",
            lambda: ids.append(versioner.commit(state["message"])),
            write_next,
            rounds=len(version_files),
        )
        _timing(recorder, versioner, rows, "commit", benchmark)
        state["ids"] = ids
        state["commands"] = {"commit (per version)": _per_call(versioner, before, len(ids))}
    assert versioner.versions() == ids


def _timing(recorder, versioner, rows: int, operation: str, benchmark) -> None:
    """The operation's statistics, marked where the tool's call does not meet its contract."""
    label = TIMED[operation]
    recorder.timing(versioner.name, rows, label, benchmark)
    if operation in versioner.not_equivalent:
        record = recorder.record(versioner.name, rows)
        record.not_equivalent[label] = versioner.not_equivalent[operation]


def _unsupported(record, state, feature: str, probed: dict) -> None:
    """An operation the tool does not have: shown in its words, then nothing else judged."""
    state["features"][feature] = probed
    record.details.setdefault("notes", []).append(probed["evidence"])
    pytest.skip(probed["evidence"])


def test_restore(benchmark, versioner, version_files, recorder, state, tool, rows, bench_options):
    ids = state.get("ids", [])
    with harness.trial(recorder, tool, rows) as record:
        if record.status != "ok":
            pytest.skip(f"not run: {record.reason}")
        exact: list[bool] = []
        probed = probes.probe(lambda: _restore_each(versioner, ids, version_files, exact))
        if probed["answer"] == "not supported":
            _unsupported(record, state, "restore exact bytes", probed)
        state["features"]["restore exact bytes"] = probed
        record.correctness["versions_restored_exact"] = sum(exact) / len(ids)
        assert probed["ok"], f"a restored version differs from the original: {probed['evidence']}"
        before = len(versioner.executed)
        rounds, warmup = _rounds(rows, bench_options), harness.warmups(1)
        _pedantic(
            benchmark,
            "restore previous version",
            lambda: versioner.restore(ids[-2]),
            lambda: versioner.restore(ids[-1]) and None,  # untimed: back to the newest
            rounds=rounds,
            warmup=warmup,
        )
        _timing(recorder, versioner, rows, "restore", benchmark)
        state["commands"]["restore"] = _per_call(versioner, before, 2 * (rounds + warmup))


def test_teammate_clone(
    benchmark, versioner, version_files, recorder, state, tool, rows, bench_options
):
    ids = state.get("ids", [])
    fresh = (versioner.workdir / f"teammate-{n}" for n in itertools.count())
    with harness.trial(recorder, tool, rows) as record:
        if record.status != "ok":
            pytest.skip(f"not run: {record.reason}")
        before = len(versioner.executed)
        probed = probes.probe(lambda: _clone_probe(versioner, ids, version_files, next(fresh)))
        if probed["answer"] == "not supported":
            _unsupported(record, state, "teammate clone from the remote", probed)
        state["features"]["teammate clone from the remote"] = probed
        state["commands"]["teammate clone + pull"] = _per_call(versioner, before, 1)
        record.correctness["teammate_clone_exact"] = float(probed["ok"])
        assert probed["ok"], f"a teammate's clone got different bytes: {probed['evidence']}"

        def new_destination():
            _remove_clones(versioner)
            return (next(fresh),), {}

        _pedantic(
            benchmark,
            "teammate clone + pull",
            lambda destination: versioner.clone_restore(ids[-1], destination),
            new_destination,
            rounds=_rounds(rows, bench_options),
            warmup=harness.warmups(1),
        )
        _timing(recorder, versioner, rows, "clone_restore", benchmark)
        _remove_clones(versioner)


def test_storage(versioner, version_files, recorder, state, tool, rows):
    with harness.trial(recorder, tool, rows) as record:
        if record.status != "ok":
            pytest.skip(f"not run: {record.reason}")
        try:
            stored = versioner.stored_bytes()
        except NotSupported as error:
            record.details.setdefault("notes", []).append(f"Storage: {error}")
            pytest.skip(str(error))
        total = sum(f.size for f in version_files)
        record.measures["remote_bytes_over_versions"] = stored / total
        tables = record.details.setdefault("tables", [])
        if tool == "baseline":  # the same history for every tool: shown once
            tables.append(_history_table(version_files))
        tables.append(_storage_table(versioner, stored, total))


def test_features(versioner, version_files, recorder, state, bench_options, tool, rows):
    """Probes, each exercising one feature (once per tool, at the run's smallest size); the
    deduplication probe commits one more version, and the damaged-remote probe runs last."""
    ids = state.get("ids", [])
    record = recorder.record(tool, rows)
    if record.status != "ok":
        pytest.skip(f"not run: {record.reason}")
    exercises = {
        "read a version without checkout": lambda: _read_probe(versioner, ids, version_files),
        "diff between versions": lambda: _diff_probe(versioner, ids),
        "lineage: run record resolves to the data": lambda: _lineage_probe(
            versioner, ids, version_files
        ),
        "works offline": lambda: _offline_probe(versioner, ids, version_files),
        "stores an unchanged file once": lambda: _dedup_probe(versioner, version_files),
        "frees unused versions (garbage collection)": lambda: _gc_probe(
            versioner, ids, version_files
        ),
        "damaged remote object is an error": lambda: _damage_probe(versioner, ids),
    }
    if probes.probes_here(bench_options, rows):
        with probes.answers(record):
            features = state["features"]
            for name, exercise in exercises.items():
                features[name] = probes.probe(exercise)
            record.features = {name: features[name] for name in sorted(features)}
    record.user_code = _user_code(versioner)
    record.details.setdefault("tables", []).append(_commands_table(state.get("commands", {})))
    record.details.setdefault("notes", []).append(_record_note(versioner, ids))


def _user_code(versioner) -> dict[str, int]:
    """Lines a user keeps for the tool: its config files in the repository, and the Python
    a user writes where the tool is driven from Python (the baseline: the whole store)."""
    lines = {name: code_lines(text) for name, text in versioner.user_files().items()}
    if versioner.python_operations:
        source = operation_source(type(versioner), list(versioner.python_operations))
        label = f"Python for {', '.join(versioner.python_operations)}"
        lines[label] = code_lines(source)
    return lines


def _pedantic(benchmark, label, target, setup, rounds: int, warmup: int = 0):
    """pytest-benchmark's pedantic mode with an untimed ``setup`` before every round, marked
    as a measured operation for the runner."""
    calls = itertools.count(1)

    def announced_setup():
        call = next(calls)
        kind = "warm-up" if call <= warmup else f"round {call - warmup}/{rounds}"
        harness.progress(f"{label}: {kind}")
        return setup()

    with harness.measuring():  # the untimed setup between rounds is inside: small copies
        return benchmark.pedantic(
            target, setup=announced_setup, rounds=rounds, warmup_rounds=warmup, iterations=1
        )


def _rounds(rows: int, bench_options) -> int:
    return min(3, bench_options.repeats) if rows >= LARGE else bench_options.repeats


def _per_call(versioner, before: int, calls: int) -> str:
    """The commands (or actions) of one call, as executed, e.g. 'dvc add, git add, ...'."""
    executed = versioner.executed[before:]
    per_call = executed[: max(1, len(executed) // calls)]
    return f"{len(per_call)}: {', '.join(per_call)}"


def _restore_each(versioner, ids: list[str], files: list[VersionFile], exact: list) -> str:
    """Restore every version, newest first; ``exact`` gets one bool per version."""
    for version, file in reversed(list(zip(ids, files, strict=True))):
        restored = versioner.restore(version)
        exact.append(
            file_digest(restored) == file.sha256 and versioner.identify(restored) == version
        )
    evidence = f"{sum(exact)} of {len(ids)} versions restored with equal sha256"
    if not all(exact):
        raise probes.Absent(evidence)
    return evidence


def _clone_probe(versioner, ids: list[str], files: list[VersionFile], destination) -> str:
    restored = versioner.clone_restore(ids[0], destination)
    if file_digest(restored) != files[0].sha256:
        raise probes.Absent("the oldest version, from a fresh clone, has a different sha256")
    return "the oldest version, from a fresh clone, has the original sha256"


def _remove_clones(versioner) -> None:
    for clone in versioner.workdir.glob("teammate-*"):
        shutil.rmtree(clone)


def _read_probe(versioner, ids, files) -> str:
    import hashlib

    digest = hashlib.sha256(versioner.read_version(ids[0])).hexdigest()
    if digest != files[0].sha256:
        raise probes.Absent("the oldest version read back with a different sha256")
    return "oldest version read without checkout; sha256 equal"


def _diff_probe(versioner, ids) -> str:
    changed, same = versioner.diff(ids[0], ids[1]), versioner.diff(ids[0], ids[0])
    evidence = f"changed: {changed}; unchanged: {same}"
    if changed != [DATA_FILE] or same != []:
        raise probes.Absent(evidence)
    return evidence


def _lineage_probe(versioner, ids, files) -> str:
    """A training run records the version id; later, the id alone must give the data back."""
    run_record = versioner.workdir / "training-run.json"
    run_record.write_text(json.dumps({"model": "sales", "data_version": ids[0]}))
    version = json.loads(run_record.read_text())["data_version"]
    if file_digest(versioner.restore(version)) != files[0].sha256:
        raise probes.Absent(f"run record -> {version[:12]} -> a different sha256")
    return f"run record -> {version[:12]} -> sha256 equal"


def _offline_probe(versioner, ids, files) -> str:
    """This machine has no network: commit worked, so a version must also come back."""
    destination = versioner.workdir / "teammate-offline"
    try:
        _clone_probe(versioner, ids, files, destination)
    except NotSupported as error:
        raise probes.Absent(f"commits offline, but cannot give a version back: {error}") from None
    finally:
        shutil.rmtree(destination, ignore_errors=True)
    return "committed and restored from the remote with no server and no network"


def _dedup_probe(versioner, files: list[VersionFile]) -> str:
    """A file committed again unchanged (the oldest version, back after later ones) must not
    be stored a second time: the remote grows by less than half the file."""
    before = versioner.stored_bytes()
    shutil.copyfile(files[0].path, versioner.data_path)
    versioner.commit("the oldest version again, unchanged")
    grown = versioner.stored_bytes() - before
    evidence = (
        f"the {files[0].size:,}-byte oldest version committed again: the remote grew by "
        f"{grown:,} bytes"
    )
    if grown >= files[0].size / 2:
        raise probes.Absent(evidence)
    return evidence


def _gc_probe(versioner, ids: list[str], files: list[VersionFile]) -> str:
    """The tool's clean-up, keeping the newest version: the remote must shrink, and the
    newest version still come back exact from it."""
    before = versioner.stored_bytes()
    versioner.collect_garbage(ids[-1])
    after = versioner.stored_bytes()
    destination = versioner.workdir / "teammate-after-gc"
    try:
        same = file_digest(versioner.clone_restore(ids[-1], destination)) == files[-1].sha256
    finally:
        shutil.rmtree(destination, ignore_errors=True)
    evidence = f"the remote went from {before:,} to {after:,} bytes, keeping the newest version"
    if not same:
        raise probes.Absent(f"{evidence}, which then came back with a different sha256")
    if after >= before:
        raise probes.Absent(f"{evidence}: nothing was freed")
    return f"{evidence}, which still comes back exact"


def _damage_probe(versioner, ids) -> str:
    for path in versioner.object_files():
        damaged = bytearray(path.read_bytes()[:4096]) or bytearray(b"x")
        damaged[0] ^= 0x01
        replacement = path.with_name(path.name + ".damaged")  # a new file: LFS hard-links
        replacement.write_bytes(bytes(damaged))
        replacement.replace(path)
    destination = versioner.workdir / "teammate-damaged"
    try:
        restored = versioner.clone_restore(ids[-1], destination)
    except AdapterError as error:
        return str(error)
    raise probes.Absent(f"no error: a {restored.stat().st_size}-byte file was handed over")


def _history_table(files: list[VersionFile]) -> dict:
    return {
        "title": "The history committed (each version is one CSV file)",
        "columns": ["version", "change", "bytes", "sha256"],
        "rows": [[f.name, f.change, f.size, f.sha256[:12]] for f in files],
    }


def _storage_table(versioner, stored: int, total: int) -> dict:
    return {
        "title": "Storage after the whole history",
        "columns": ["where", "bytes", "over the sum of versions"],
        "rows": [
            ["remote / store", stored, stored / total],
            ["working copy (with local cache)", directory_bytes(versioner.data_path.parent),
             directory_bytes(versioner.data_path.parent) / total],
            ["sum of the versions' sizes", total, 1.0],
        ],
    }  # fmt: skip


def _commands_table(commands: dict[str, str]) -> dict:
    return {
        "title": "Commands (or actions) executed per operation",
        "columns": ["operation", "count: as executed"],
        "rows": [[operation, executed] for operation, executed in commands.items()],
    }


def _record_note(versioner, ids: list[str]) -> str:
    try:
        text = versioner.version_record(ids[0]) if ids else "nothing"
    except NotSupported as error:
        return str(error)
    return "What the project keeps for one version: " + " ".join(text.split())[:400]
