"""The cache of measurements per (tool, version), kept across runs and checkouts."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.install_evidence.installer import uv_binary

if TYPE_CHECKING:
    from benchmarks.install_evidence.pyproject import Target

CACHE_FORMAT = 1
CACHE_NAME = "install-cache.json"
# in the user's cache folder, not results/: a fresh clone's `make bench` reuses what this
# machine measured for the same tool versions and installer
USER_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bakeoff" / "install"
)


def fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def tool_key(target: Target, version: str, constraints: tuple[str, ...], python: str) -> str:
    """(tool, version), plus what else changes the figures: pins, module, Python."""
    installer = "uv" if uv_binary() else "pip"
    digest = fingerprint(target.requirements, target.module, constraints, python, installer)
    return f"{target.name} {version} {digest}"


def load_cache(path: Path) -> dict:
    """Cached entries by key; an unreadable or older cache is simply measured again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data.get("entries", {}) if data.get("format") == CACHE_FORMAT else {}


def save_cache(path: Path, entries: dict) -> None:
    """Write the cache atomically, so an interrupted run leaves the previous one whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1, sort_keys=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(text)
    os.replace(out.name, path)
