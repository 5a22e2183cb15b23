"""What a team has without a linter: ``python -m py_compile`` over the files.

It catches syntax errors only, and stops at the first file that does not compile
(py_compile's command line exits there). It has no formatter and no rules to choose,
so its common rule set is its default.
"""

from __future__ import annotations

import re
from pathlib import Path

from adapters.linting.base import Finding, Linter, kind_of

_LOCATION = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_ERROR = re.compile(r"^(?P<code>\w*Error):", re.MULTILINE)


class PyCompileLinter(Linter):
    name = "baseline"

    @classmethod
    def config_files(cls) -> dict[str, str]:
        return {"Makefile": "lint:\n\tpython -m py_compile $(shell find . -name '*.py')\n"}

    def lint(self, tree: Path, common: bool = False) -> list[Finding]:
        files = sorted(path.relative_to(tree).as_posix() for path in tree.rglob("*.py"))
        output = self.run(["py_compile", *files], tree, ok=(0, 1))
        location, error = _LOCATION.search(output), _ERROR.search(output)
        if not location:
            return []
        code = error["code"] if error else "SyntaxError"
        path = self.relative(tree, location["path"])
        return [Finding(path, int(location["line"]), code, kind_of(code))]
