"""The Debian packages behind a tool's system programs, and their installed size.

Install evidence measures a tool's Python packages in a fresh venv; a tool that also
needs programs from Debian (Prometheus, Pushgateway, git-lfs) is charged for those
packages too, as dpkg reports them (the packages themselves, not their dependencies).
"""

from __future__ import annotations

import glob
import shutil
import subprocess


def program_path(program: str) -> str | None:
    """Where ``program`` is: on PATH, or (Debian keeps PostgreSQL's server programs off
    PATH) in the newest /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), reverse=True)
    return shutil.which(program) or (found[0] if found else None)


def owning_package(program: str) -> str | None:
    """The Debian package that installed ``program`` (None if not found or no dpkg)."""
    path = program_path(program)
    if path is None or shutil.which("dpkg") is None:
        return None
    done = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        real = subprocess.run(["readlink", "-f", path], capture_output=True, text=True)
        done = subprocess.run(["dpkg", "-S", real.stdout.strip()], capture_output=True,
                              text=True, check=False)  # fmt: skip
    line = done.stdout.strip().splitlines()[0] if done.returncode == 0 else ""
    return line.split(":")[0] or None


def package_version(package: str) -> str | None:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip() or None if done.returncode == 0 else None


def installed_kib(package: str) -> int | None:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Installed-Size}", package],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip().isdigit() else None


def footprint(programs: tuple[str, ...]) -> dict:
    """{"packages": {name: MB}, "missing": [programs not installed], "mb": total}."""
    packages, missing = {}, []
    for program in programs:
        package = owning_package(program)
        size = installed_kib(package) if package else None
        if size is None:
            missing.append(program)
        else:
            packages[package] = round(size / 1024, 1)
    return {"packages": packages, "missing": missing, "mb": round(sum(packages.values()), 1)}
