"""The classic toolchain: flake8 (pycodestyle + pyflakes) and ``isort --check`` for the
rules, ``black --check`` for the formatting."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.linting import package
from adapters.linting.base import LINE_LENGTH, Finding, Linter, kind_of

_FLAKE8 = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<code>[A-Z]+\d+)$", re.MULTILINE)
_WOULD_REFORMAT = re.compile(r"^would reformat (.+)$", re.MULTILINE)


class Flake8BlackIsortLinter(Linter):
    name = "flake8_black_isort"
    non_default_settings = (
        "the common rule set raises flake8's line length from 79 and black's from 88 to "
        f"{LINE_LENGTH}, and gives isort black's profile and the first-party package",
    )

    @classmethod
    def config_files(cls) -> dict[str, str]:
        return {
            ".flake8": f"[flake8]\nselect = E,W,F\nextend-ignore = E203,E701,E704,W503\n"
            f"max-line-length = {LINE_LENGTH}\n",
            "pyproject.toml": f"[tool.black]\nline-length = {LINE_LENGTH}\n\n"
            f'[tool.isort]\nprofile = "black"\nline_length = {LINE_LENGTH}\n'
            f'known_first_party = ["{package.PACKAGE}"]\n',
        }

    def cache_env(self) -> dict[str, str]:
        return {"BLACK_CACHE_DIR": str(self.caches / "black")}

    def lint(self, tree: Path, common: bool = False) -> list[Finding]:
        settings = ["--config", str(self.config / ".flake8")] if common else ["--isolated"]
        output = self.run(
            ["flake8", "--format=%(path)s:%(row)d:%(code)s", *settings, "."], tree, ok=(0, 1)
        )
        found = [
            Finding(self.relative(tree, m["path"]), int(m["line"]), m["code"], kind_of(m["code"]))
            for m in _FLAKE8.finditer(output)
        ]
        return found + self._isort(tree, common)

    def _isort(self, tree: Path, common: bool) -> list[Finding]:
        """One finding per file isort would change, at the first line it would move."""
        settings = ["--settings-path", str(self.config / "pyproject.toml")] if common else []
        output = self.run(["isort", "--check-only", "--diff", *settings, "."], tree, ok=(0, 1))
        return [
            Finding(self.relative(tree, path), line, "isort", kind_of("isort"))
            for path, line in first_changed_lines(output)
        ]

    def format_check(self, tree: Path, common: bool = False) -> list[str]:
        settings = ["--config", str(self.config / "pyproject.toml")] if common else []
        output = self.run(["black", "--check", *settings, "."], tree, ok=(0, 1))
        return sorted(self.relative(tree, path) for path in _WOULD_REFORMAT.findall(output))


def first_changed_lines(diff: str) -> list[tuple[str, int]]:
    """(file, first removed or changed line) of each file in a unified diff."""
    found, path, old_line = [], None, 0
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = line[4:].rsplit(":before", 1)[0].strip()
        elif line.startswith("@@") and path:
            old_line = int(re.match(r"@@ -(\d+)", line)[1])
        elif path and line.startswith(("-", "+")) and not line.startswith("+++"):
            found.append((path, old_line))
            path = None
        elif path and line.startswith(" "):
            old_line += 1
    return found
