"""Install evidence: what each tool costs to install, measured in fresh virtual environments.

For every registered tool, the Python requirements come from ``pyproject.toml`` (the
stage's extra; baselines need only the core dependencies), resolved and installed with
every pin of the project as constraints (e.g. ``pandas<3``, ``pyarrow<26``), by uv where it
is installed (else pip; the record names the installer). Each tool is installed into a
new virtual environment of python3.11 (``uv venv``, else ``python -m venv``) and
measured: install seconds, the bytes it added to site-packages, the distributions it
added (``pip list`` minus a fresh venv's), and the import time of its main module
(median of fresh ``python -X importtime`` runs). Tools with identical requirements share
one venv. A co-installability matrix asks the resolver (``uv pip compile``, else pip's
``--dry-run --ignore-installed``; nothing installed) whether each pair can live in one
environment; uv resolves the pairs from the metadata the run's resolutions of each tool
alone have just fetched, and asks the registry only for a pair that needs more.

Measurements are cached per (tool, version) in ``~/.cache/bakeoff/install/``, so a second
run only resolves (a few seconds per tool) and reinstalls nothing; ``refresh`` re-measures.
Resolving fills pip's HTTP cache with metadata and the install may use cached wheels: each
record says where its distributions came from and whether the cache was warm.

One module per job: ``pyproject`` (what to install), ``resolver``, ``venvs`` (install and
what it added), ``importtime``, ``cache``, ``matrix``, ``debian`` (system packages),
``records`` (the results file) and ``measure`` (the run).
"""

from benchmarks.install_evidence.installer import InstallEvidenceError
from benchmarks.install_evidence.measure import run

__all__ = ["InstallEvidenceError", "run"]
