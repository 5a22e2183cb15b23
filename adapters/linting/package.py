"""The linting workload: a small package with labelled defects and its clean twin, and
real code bases nobody here wrote.

The package is the project's own sales-model modules (``scenarios/``) copied under the
name ``salesmodel``. The defective copy has one injected defect of each kind in
:data:`KINDS`, each with the lines it spans; the clean twin has the same code with each
defect fixed, so anything a linter reports on the twin is a false positive.
"""

from __future__ import annotations

import functools
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "salesmodel"
MODULES = ("wish", "defects", "drift", "loader", "model")
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

UNUSED_IMPORT = "unused import"
UNDEFINED_NAME = "undefined name"
BARE_EXCEPT = "bare except"
NONE_COMPARISON = "== None"
BLANK_LINES = "blank lines"
SPACING = "spacing"
LINE_LENGTH = "line length"
IMPORT_ORDER = "import order"
UNUSED_VARIABLE = "unused variable"
SYNTAX_ERROR = "syntax error"
KINDS = (
    UNUSED_IMPORT, UNDEFINED_NAME, BARE_EXCEPT, NONE_COMPARISON, BLANK_LINES,
    SPACING, LINE_LENGTH, IMPORT_ORDER, UNUSED_VARIABLE, SYNTAX_ERROR,
)  # fmt: skip

# Real code bases: pure-Python packages installed in this environment, linted as copies.
CODE_BASES = ("flask", "rich")


@dataclass(frozen=True)
class Defect:
    """One injected defect: the lines of ``path`` (relative to the tree) it spans."""

    path: str
    first_line: int
    last_line: int
    kind: str


@dataclass(frozen=True)
class Injection:
    """``defective`` and ``clean`` replace ``replaces`` in the module (appended at its end
    when ``replaces`` is empty). Lines of ``defective`` marked with a leading ``!`` are
    the defect's span; the mark is removed."""

    module: str
    kind: str
    defective: str
    clean: str
    replaces: str = ""


def _appended(kind: str, module: str, defective: str, clean: str) -> Injection:
    return Injection(module, kind, "\n\n" + defective, "\n\n" + clean)


_FUTURE = "from __future__ import annotations\n"
_LOADER_IMPORT = f"from {PACKAGE}.model import MODEL_COLUMNS\n"
# the whole import block is the defect's span: ruff reports it at the block's first line
_LOADER_IMPORTS = (
    f"{_FUTURE}\nimport csv\nfrom pathlib import Path\n\nimport pandas as pd\n\n{_LOADER_IMPORT}"
)

INJECTIONS = (
    Injection(
        "drift",
        UNUSED_IMPORT,
        defective="!import json\nfrom collections.abc import Callable\n",
        clean="from collections.abc import Callable\n",
        replaces="from collections.abc import Callable\n",
    ),
    Injection(
        "loader",
        IMPORT_ORDER,
        defective=f"!{_FUTURE}!\n!import pandas as pd\n!\n!import csv\n!from pathlib import Path\n"
        f"!\n!{_LOADER_IMPORT}",
        clean=_LOADER_IMPORTS,
        replaces=_LOADER_IMPORTS,
    ),
    _appended(
        UNDEFINED_NAME,
        "wish",
        'def smallest_bucket() -> int:\n    """The smallest units bucket."""\n'
        "!    return min(UNIT_BUCKETS)\n",
        'def smallest_bucket() -> int:\n    """The smallest units bucket."""\n'
        "    return min(UNITS_BUCKETS)\n",
    ),
    _appended(
        LINE_LENGTH,
        "wish",
        'def describe(rows: int) -> str:\n    """One sentence about a generated frame."""\n'
        '!    return f"a synthetic Wish summer-products frame of {rows} rows, with the real '
        "file's 43 columns and its quirks\"\n",
        'def describe(rows: int) -> str:\n    """One sentence about a generated frame."""\n'
        '    return (\n        f"a synthetic Wish summer-products frame of {rows} rows, "\n'
        '        "with the real file\'s 43 columns and its quirks"\n    )\n',
    ),
    _appended(
        BARE_EXCEPT,
        "defects",
        "def safe_ratio(numerator: float, denominator: float) -> float:\n"
        '    """numerator / denominator, or 0.0 when it cannot be computed."""\n'
        "    try:\n        return numerator / denominator\n!    except:\n        return 0.0\n",
        "def safe_ratio(numerator: float, denominator: float) -> float:\n"
        '    """numerator / denominator, or 0.0 when it cannot be computed."""\n'
        "    try:\n        return numerator / denominator\n"
        "    except ZeroDivisionError:\n        return 0.0\n",
    ),
    _appended(
        NONE_COMPARISON,
        "drift",
        "def missing_reference(reference: pd.DataFrame | None) -> bool:\n"
        '    """Whether no reference frame was given."""\n!    return reference == None\n',
        "def missing_reference(reference: pd.DataFrame | None) -> bool:\n"
        '    """Whether no reference frame was given."""\n    return reference is None\n',
    ),
    _appended(
        SPACING,
        "drift",
        "def shifted(values: list[float], offset: float) -> list[float]:\n"
        '    """The values moved by offset."""\n'
        "!    moved=[value + offset for value in values]\n    return moved\n",
        "def shifted(values: list[float], offset: float) -> list[float]:\n"
        '    """The values moved by offset."""\n'
        "    moved = [value + offset for value in values]\n    return moved\n",
    ),
    _appended(
        UNUSED_VARIABLE,
        "loader",
        "def row_count(path: Path) -> int:\n"
        '    """Rows of the CSV file at path, its header left out."""\n'
        '    lines = path.read_text(encoding="utf-8").splitlines()\n'
        "!    header = lines[0]\n    return len(lines) - 1\n",
        "def row_count(path: Path) -> int:\n"
        '    """Rows of the CSV file at path, its header left out."""\n'
        '    lines = path.read_text(encoding="utf-8").splitlines()\n'
        "    return len(lines) - 1\n",
    ),
    # one blank line instead of two before a top-level function
    Injection(
        "model",
        BLANK_LINES,
        '\n!def feature_count() -> int:\n    """How many columns the model reads."""\n'
        "    return len(MODEL_COLUMNS)\n",
        '\n\ndef feature_count() -> int:\n    """How many columns the model reads."""\n'
        "    return len(MODEL_COLUMNS)\n",
    ),
    # an edit in progress, in a module of its own
    Injection(
        "report",
        SYNTAX_ERROR,
        '"""Report lines for a trained model."""\n\n\n!def summary(rows: int) -> str\n'
        '    return f"{rows} rows"\n',
        '"""Report lines for a trained model."""\n\n\ndef summary(rows: int) -> str:\n'
        '    return f"{rows} rows"\n',
    ),
)


def write_package(root: Path, defective: bool) -> list[Defect]:
    """Write the package under ``root`` (``root/salesmodel/...``), with the injected
    defects or as the clean twin; the defects' spans (empty for the twin)."""
    sources = {name: _source(name) for name in MODULES}
    sources["report"] = ""
    spans: dict[str, list[tuple[int, int, str]]] = {name: [] for name in sources}
    for injection in INJECTIONS:
        text = injection.defective if defective else injection.clean
        sources[injection.module], span = _inject(sources[injection.module], injection, text)
        if defective:
            spans[injection.module].append((*span, injection.kind))
    folder = root / PACKAGE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text('"""The sales model."""\n', encoding="utf-8")
    for name, text in sources.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return [
        Defect(f"{PACKAGE}/{name}.py", first, last, kind)
        for name, found in spans.items()
        for first, last, kind in found
    ]


def _source(module: str) -> str:
    text = (SCENARIOS / f"{module}.py").read_text(encoding="utf-8")
    return text.replace("from scenarios", f"from {PACKAGE}")


def _inject(source: str, injection: Injection, text: str) -> tuple[str, tuple[int, int]]:
    """``source`` with ``text`` in place; the 1-based span of its marked lines, which are
    unmarked. Spans are taken after earlier injections, in the order of INJECTIONS."""
    lines = text.splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if line.startswith("!")]
    lines = [line.removeprefix("!") for line in lines]
    at = source.index(injection.replaces) if injection.replaces else len(source)
    end = at + len(injection.replaces)
    start_line = source[:at].count("\n") + 1
    span = (start_line + marked[0], start_line + marked[-1]) if marked else (0, 0)
    return source[:at] + "".join(lines) + source[end:], span


def installed(name: str) -> bool:
    return (Path(sysconfig.get_paths()["purelib"]) / name / "__init__.py").is_file()


def code_base(name: str) -> Path:
    """Where the installed package ``name`` keeps its source."""
    folder = Path(sysconfig.get_paths()["purelib"]) / name
    if not installed(name):
        raise FileNotFoundError(f"{name} is not installed in {folder.parent}")
    return folder


def source_lines(name: str) -> int:
    """Lines of Python source in the installed package ``name``."""
    return sum(len(path.read_bytes().splitlines()) for path in code_base(name).rglob("*.py"))


@functools.cache
def code_bases_by_lines() -> dict[int, str]:
    """The installed code bases by their lines of source, smallest first: the linting
    stage's sizes."""
    found = {source_lines(name): name for name in CODE_BASES if installed(name)}
    return dict(sorted(found.items()))


def copy_code_base(name: str, root: Path) -> Path:
    """A copy of the package's ``.py`` files under ``root/name`` (no caches, no data)."""
    target = root / name
    shutil.copytree(
        code_base(name), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so")
    )
    return target
