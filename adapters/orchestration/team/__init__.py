"""The team topology of the orchestration stage: many pipeline runs at once, a wide fan-out.

- ``airflow+celery``: Airflow 3 as its docs describe for scaling out: the metadata DB on
  PostgreSQL, the CeleryExecutor with Redis as broker, and two ``airflow celery worker``
  processes (4 task slots each; they could run on other machines) beside the api-server,
  scheduler and dag-processor, all on 127.0.0.1. PostgreSQL and Redis are throwaway
  servers (``adapters.services``) unless ``--postgres-url``/``--redis-url`` name others.
- ``airflow+local``: the same components with the LocalExecutor on SQLite (Airflow 3.3
  accepts that pair) and the same 8 task slots: the single-machine set-up.
- ``metaflow``: N local runs started together, each ``--max-workers 8``. Its local runtime
  has no scheduler shared between runs: each run is its own process tree. Its scale-out
  backends (Kubernetes, Argo Workflows, AWS Batch) cannot run here, see
  ``reports/facts/orchestration.toml``.
- ``baseline``: N plain-Python pipeline scripts started together.

Contract of ``run_together(name, data, count)``: ``count`` runs of ``name`` were triggered
together, each on its own copy of ``data``; when it returns, every run has reached its end
state as the tool records it (a run that failed is returned as failed, never retried by
bakeoff), and every successful sales run's outputs are on disk, readable by another process.
"""

from __future__ import annotations

from adapters import setups
from adapters.orchestration.team.base import FANOUT, Burst, TeamLoad, TeamRun

__all__ = ["FANOUT", "Burst", "TeamLoad", "TeamRun", "load"]


def load(tool: str) -> type[TeamLoad]:
    """The class of a team set-up's tool ('airflow+celery', 'metaflow', ...; one file per
    tool, listed in adapters/setups.py)."""
    return setups.load("orchestration", "team", tool)
