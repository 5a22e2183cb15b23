"""ruff: ``ruff check`` for the rules and ``ruff format --check`` for the formatting."""

from __future__ import annotations

import json
import re
from pathlib import Path

from adapters.linting import package
from adapters.linting.base import LINE_LENGTH, Finding, Linter, kind_of

_WOULD_REFORMAT = re.compile(r"^(.+?):\d+:\d+: unformatted:", re.MULTILINE)


class RuffLinter(Linter):
    name = "ruff"
    non_default_settings = (
        "the common rule set turns preview on: ruff's pycodestyle spacing (E2) and "
        "blank-line (E3) rules are preview rules in ruff 0.17",
    )

    @classmethod
    def config_files(cls) -> dict[str, str]:
        return {
            "ruff.toml": f"line-length = {LINE_LENGTH}\n\n[lint]\n"
            'select = ["E", "W", "F", "I"]\nignore = ["E203", "E701", "E704"]\npreview = true\n\n'
            f'[lint.isort]\nknown-first-party = ["{package.PACKAGE}"]\n'
        }

    def cache_env(self) -> dict[str, str]:
        return {"RUFF_CACHE_DIR": str(self.caches / "ruff")}

    def _settings(self, common: bool) -> list[str]:
        return ["--config", str(self.config / "ruff.toml")] if common else ["--isolated"]

    def lint(self, tree: Path, common: bool = False) -> list[Finding]:
        args = ["ruff", "check", "--output-format", "json", "--exit-zero", "--quiet"]
        messages = json.loads(self.run([*args, *self._settings(common), "."], tree, ok=(0,)))
        return [
            Finding(self.relative(tree, m["filename"]), m["location"]["row"], code, kind_of(code))
            for m in messages
            for code in [m["code"] or "invalid-syntax"]  # preview gives syntax errors no code
        ]

    def format_check(self, tree: Path, common: bool = False) -> list[str]:
        args = ["ruff", "format", "--check", "--output-format", "concise"]
        args += [*self._settings(common), "."]
        output = self.run(args, tree, ok=(0, 1))
        return sorted(self.relative(tree, path) for path in _WOULD_REFORMAT.findall(output))
