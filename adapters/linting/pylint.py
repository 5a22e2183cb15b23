"""pylint: one program for its own broad checks; it has no formatter and no blank-line or
spacing checks (its whitespace checks were removed in pylint 2.6)."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.linting.base import LINE_LENGTH, Finding, Linter, kind_of

_MESSAGE = re.compile(r"^(?P<path>[^*\s][^:]*):(?P<line>\d+):(?P<code>[A-Z]\d{4})$", re.MULTILINE)
# pylint's messages for what pycodestyle, pyflakes and isort check
COMMON_MESSAGES = (
    "unused-import", "unused-variable", "undefined-variable", "undefined-all-variable",
    "reimported", "function-redefined", "f-string-without-interpolation",
    "line-too-long", "trailing-whitespace", "missing-final-newline", "trailing-newlines",
    "multiple-statements", "bare-except", "singleton-comparison", "unidiomatic-typecheck",
    "unnecessary-semicolon", "bad-indentation", "wrong-import-position",
    "unnecessary-lambda-assignment", "wrong-import-order", "ungrouped-imports",
)  # fmt: skip
# exit status bits: 1 fatal message, 32 usage error; the others are the kinds of findings
_OK = tuple(status for status in range(64) if not status & 33)


class PylintLinter(Linter):
    name = "pylint"
    non_default_settings = (
        "the common rule set disables every check but the pylint messages that match "
        "pycodestyle, pyflakes and isort rules",
    )

    @classmethod
    def config_files(cls) -> dict[str, str]:
        enabled = ",\n    ".join(COMMON_MESSAGES)
        return {
            ".pylintrc": f"[MAIN]\ndisable = all\nenable =\n    {enabled}\n\n"
            f"[FORMAT]\nmax-line-length = {LINE_LENGTH}\n"
        }

    def cache_env(self) -> dict[str, str]:
        return {"PYLINTHOME": str(self.caches / "pylint")}

    def lint(self, tree: Path, common: bool = False) -> list[Finding]:
        settings = ["--rcfile", str(self.config / ".pylintrc")] if common else []
        args = ["pylint", "--recursive=y", "--score=n", "--msg-template={path}:{line}:{msg_id}"]
        output = self.run([*args, *settings, "."], tree, ok=_OK)
        return [
            Finding(self.relative(tree, m["path"]), int(m["line"]), m["code"], kind_of(m["code"]))
            for m in _MESSAGE.finditer(output)
        ]
