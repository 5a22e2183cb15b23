"""The installer and Python this run uses, and names as the installer compares them."""

from __future__ import annotations

import functools
import re
import shutil
import sys
from pathlib import Path

PYTHON = shutil.which("python3.11") or sys.executable


class InstallEvidenceError(RuntimeError):
    """A step that bakeoff needs (creating a venv, reading pyproject.toml) failed."""


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise InstallEvidenceError(f"cannot read the requirement {requirement!r}.")
    return canonical(match.group(1))


@functools.cache
def uv_binary() -> str | None:
    """The uv resolver-installer beside this Python (the Makefile installs it), or on PATH:
    it resolves and installs the same requirements in a fraction of pip's time."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")
