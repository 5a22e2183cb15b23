"""The linting interface: lint a tree of Python files, and check its formatting.

Two rule sets: each tool's own defaults (no config file: what a user gets by running
it plainly), and one pinned common rule set, :data:`COMMON`, written in each tool's own
config file (:meth:`Linter.config_files`) as far as the tool has those rules. The
defaults are not comparable between tools (ruff 0.17 enables 407 rules of many
families by default, flake8 pycodestyle + pyflakes at 79 columns, pylint its own
hundreds of checks), so only the common rule set is scored.

Contracts (what is true when each call returns):

- ``lint(tree, common)``: the tool checked every ``.py`` file under ``tree`` (with its
  defaults, or with the common rule set when ``common``) and returned every message it
  printed as a :class:`Finding` (path relative to ``tree``, line, the tool's code, and
  the labelled defect kind that code stands for, or "" for any other code). A tool
  that crashed raises; one that found problems returns them.
- ``format_check(tree, common)``: the tool's formatter read every ``.py`` file under
  ``tree`` and returned, sorted, the paths (relative to ``tree``) it would reformat;
  no file was changed.
- ``clear_caches()``: the tool's own caches (kept in the adapter's work folder) are
  empty, so the next call runs cold.
"""

from __future__ import annotations

import abc
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from adapters.base import Adapter
from adapters.linting import package as pkg

LINE_LENGTH = 100  # the common rule set's line length: the project's own
COMMON = (
    "pycodestyle (E, W) and pyflakes (F) rules but the four that contradict black's style "
    "(E203, E701, E704, W503, as black's documentation advises), isort's import order (I), "
    f"lines up to {LINE_LENGTH} characters, '{pkg.PACKAGE}' known as first-party"
)

# The tools' codes for the labelled defect kinds: pycodestyle/pyflakes codes (flake8 and
# ruff), ruff's and isort's import order, pylint's message ids, Python's SyntaxError.
CODE_KINDS = {
    "F401": pkg.UNUSED_IMPORT, "W0611": pkg.UNUSED_IMPORT,
    "F821": pkg.UNDEFINED_NAME, "E0602": pkg.UNDEFINED_NAME,
    "E722": pkg.BARE_EXCEPT, "W0702": pkg.BARE_EXCEPT,
    "E711": pkg.NONE_COMPARISON, "C0121": pkg.NONE_COMPARISON,
    "E501": pkg.LINE_LENGTH, "C0301": pkg.LINE_LENGTH,
    "I001": pkg.IMPORT_ORDER, "isort": pkg.IMPORT_ORDER, "C0411": pkg.IMPORT_ORDER,
    "F841": pkg.UNUSED_VARIABLE, "W0612": pkg.UNUSED_VARIABLE,
    "E999": pkg.SYNTAX_ERROR, "invalid-syntax": pkg.SYNTAX_ERROR, "E0001": pkg.SYNTAX_ERROR,
    "SyntaxError": pkg.SYNTAX_ERROR,
}  # fmt: skip
CODE_PREFIX_KINDS = {"E30": pkg.BLANK_LINES, "E2": pkg.SPACING}


def kind_of(code: str) -> str:
    """The labelled defect kind a tool's code stands for, or ""."""
    if code in CODE_KINDS:
        return CODE_KINDS[code]
    return next((k for prefix, k in CODE_PREFIX_KINDS.items() if code.startswith(prefix)), "")


@dataclass(frozen=True)
class Finding:
    """One message of a linter."""

    path: str  # relative to the linted tree, with "/"
    line: int
    code: str  # the tool's own code, e.g. "F401", "W0611"
    kind: str  # the labelled defect kind, or ""


class Linter(Adapter):
    """Lints and format-checks a tree of Python files with one tool."""

    stage = "linting"
    operations = ("lint", "format_check")
    # what the common rule set asks beyond the tool's defaults, one sentence each
    non_default_settings: ClassVar[tuple[str, ...]] = ()

    def setup(self) -> None:
        self.config = self.workdir / "config"
        self.caches = self.workdir / "caches"
        self.caches.mkdir(parents=True, exist_ok=True)
        for name, text in self.config_files().items():
            path = self.config / name
            self.step(f"write {name} (the common rule set)", lambda p=path, t=text: _write(p, t))

    @abc.abstractmethod
    def lint(self, tree: Path, common: bool = False) -> list[Finding]:
        """Lint every ``.py`` file under ``tree``; every message as a Finding."""

    def format_check(self, tree: Path, common: bool = False) -> list[str]:
        """Paths under ``tree`` the tool's formatter would reformat (sorted)."""
        raise self.not_supported("format_check", "it has no formatter")

    @classmethod
    @abc.abstractmethod
    def config_files(cls) -> dict[str, str]:
        """The common rule set as the user writes it: file name -> text."""

    def cache_env(self) -> dict[str, str]:
        """Environment variables that keep the tool's caches in the work folder."""
        return {}

    def clear_caches(self) -> None:
        """Empty the tool's caches so the next call runs cold."""
        shutil.rmtree(self.caches, ignore_errors=True)
        self.caches.mkdir(parents=True)

    @classmethod
    def user_code(cls) -> dict[str, str]:
        """What a user writes: the common rule set's config files (defaults need none)."""
        return cls.config_files()

    def run(self, args: list[str], tree: Path, ok: tuple[int, ...]) -> str:
        """Run ``python -m <args>`` in ``tree``; its output (stdout, then stderr). A return
        code outside ``ok`` means the tool itself failed: raised with its own words."""
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(self.caches / "pycache"),
               **self.cache_env()}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", *args], cwd=tree, env=env, capture_output=True, text=True
        )
        if done.returncode not in ok:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"{args[0]} exited {done.returncode}: {' | '.join(tail)}")
        return done.stdout + done.stderr

    def relative(self, tree: Path, path: str) -> str:
        """``path`` as printed by a tool, relative to ``tree`` with "/"."""
        found = Path(path)
        found = found.relative_to(tree.resolve()) if found.is_absolute() else found
        return found.as_posix().removeprefix("./")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
