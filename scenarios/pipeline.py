"""The sales-model pipeline as steps on files, the same code for every orchestrator.

Every step takes the run directory (a path) and reads/writes files in it, the way
orchestrators recommend for sizable objects: load -> validate -> features ->
train (one task per configuration, in parallel) -> pick_best -> evaluate -> save.
Faults are injected through marker files in ``<run_dir>/faults`` so that they reach
steps running in other processes: ``<step>.once`` fails the step one time,
``<step>.always`` fails it every time.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

from scenarios.loader import load_csv
from scenarios.model import CONFIGS, SEED, TARGET, Split, make_model, score, split

STEPS = ("load", "validate", "features", "train", "pick_best", "evaluate", "save")
INPUT = "input.csv"
FINAL_MODEL = "model.pkl"
PREDICTIONS = "predictions.json"


class InjectedFault(RuntimeError):
    """A failure injected on purpose (fault-handling checks)."""


def inject(run_dir: str, step: str, kind: str = "once") -> None:
    """Make ``step`` fail once (``kind="once"``) or on every attempt (``"always"``)."""
    if step not in STEPS or kind not in ("once", "always"):
        raise ValueError(f"cannot inject {kind!r} into {step!r}; steps are {', '.join(STEPS)}.")
    faults = Path(run_dir) / "faults"
    faults.mkdir(exist_ok=True)
    (faults / f"{step}.{kind}").touch()


def clear_faults(run_dir: str) -> None:
    shutil.rmtree(Path(run_dir) / "faults", ignore_errors=True)


def _check_fault(run_dir: str, step: str) -> None:
    faults = Path(run_dir) / "faults"
    if (faults / f"{step}.always").exists():
        raise InjectedFault(f"injected permanent failure in step {step}")
    try:
        (faults / f"{step}.once").unlink()  # unlink is atomic: one parallel task wins
    except FileNotFoundError:
        return
    raise InjectedFault(f"injected one-off failure in step {step}")


def _dump(value, path: Path) -> str:
    with open(path, "wb") as handle:
        pickle.dump(value, handle)
    return str(path)


def _read(path: str | Path):
    with open(path, "rb") as handle:
        return pickle.load(handle)  # only files this pipeline wrote itself


def load(run_dir: str) -> str:
    """Read the input CSV; return the path of the raw frame."""
    _check_fault(run_dir, "load")
    return _dump(load_csv(Path(run_dir) / INPUT), Path(run_dir) / "raw.pkl")


def validate(run_dir: str, raw: str) -> str:
    """Refuse data the model cannot learn from; return the raw path unchanged."""
    _check_fault(run_dir, "validate")
    frame = _read(raw)
    labelled = int(frame[TARGET].notna().sum())
    if labelled < 20:
        raise ValueError(f"only {labelled} rows have {TARGET}; the model needs at least 20.")
    return raw


def features(run_dir: str, raw: str) -> str:
    """Clean, build features, split with the fixed seed; return the split's path."""
    _check_fault(run_dir, "features")
    return _dump(split(_read(raw)), Path(run_dir) / "split.pkl")


def train(run_dir: str, split_path: str, config: str) -> str:
    """Fit one configuration, score it on a validation part of the training split."""
    from sklearn.model_selection import train_test_split

    _check_fault(run_dir, "train")
    data: Split = _read(split_path)
    x_fit, x_valid, y_fit, y_valid = train_test_split(
        data.x_train, data.y_train, test_size=0.25, random_state=SEED
    )
    model = make_model(config).fit(x_fit, y_fit)
    result = {
        "config": config,
        "score": float(model.score(x_valid, y_valid)),
        "model": _dump(model, Path(run_dir) / f"model-{config}.pkl"),
    }
    path = Path(run_dir) / f"score-{config}.json"
    path.write_text(json.dumps(result))
    return str(path)


def pick_best(run_dir: str, score_paths: list[str]) -> str:
    """The best configuration by validation score (ties: the first name)."""
    _check_fault(run_dir, "pick_best")
    results = sorted(
        (json.loads(Path(p).read_text()) for p in score_paths),
        key=lambda r: (-r["score"], r["config"]),
    )
    path = Path(run_dir) / "best.json"
    path.write_text(json.dumps(results[0]))
    return str(path)


def evaluate(run_dir: str, best: str, split_path: str) -> str:
    """Score the best model on the test split and keep its predictions."""
    _check_fault(run_dir, "evaluate")
    chosen = json.loads(Path(best).read_text())
    model, data = _read(chosen["model"]), _read(split_path)
    result = {
        "config": chosen["config"],
        "test_r2": score(model, data),
        "predictions": [float(v) for v in model.predict(data.x_test)],
    }
    path = Path(run_dir) / PREDICTIONS
    path.write_text(json.dumps(result))
    return str(path)


def save(run_dir: str, best: str) -> str:
    """Copy the chosen model to its final place; return that path."""
    _check_fault(run_dir, "save")
    chosen = json.loads(Path(best).read_text())
    return str(shutil.copyfile(chosen["model"], Path(run_dir) / FINAL_MODEL))


def noop(run_dir: str = "") -> None:
    """A task that does nothing: what remains of its run time is orchestration."""


def run_in_order(run_dir: str) -> str:
    """Every step in order in this process, without an orchestrator: the reference run."""
    split_path = features(run_dir, validate(run_dir, load(run_dir)))
    best = pick_best(run_dir, [train(run_dir, split_path, config) for config in CONFIGS])
    evaluate(run_dir, best, split_path)
    return save(run_dir, best)


def outputs(run_dir: str | Path) -> tuple[str, list[float]]:
    """(best configuration, test predictions) that a finished run left in ``run_dir``."""
    result = json.loads((Path(run_dir) / PREDICTIONS).read_text())
    return result["config"], result["predictions"]


def reference_outputs(data_csv: str | Path, run_dir: str | Path) -> tuple[str, list[float]]:
    """The outputs of the steps run in order without a tool, on a copy of ``data_csv``."""
    shutil.copyfile(data_csv, Path(run_dir) / INPUT)
    run_in_order(str(run_dir))
    return outputs(run_dir)
