"""Chains of 10 and 50 no-op tasks as Airflow DAGs: what remains of their run time is
Airflow's per-task overhead. A benchmark fixture, not part of the user's pipeline."""

from airflow.sdk import DAG, task

from scenarios import pipeline

RUN_DIR = "{{ params.run_dir }}"
CHAIN_LENGTHS = (10, 50)

for length in CHAIN_LENGTHS:
    with DAG(f"chain-{length}", schedule=None, params={"run_dir": ""}) as chain:
        previous = None
        for index in range(length):
            current = task(pipeline.noop, task_id=f"noop_{index}")(RUN_DIR)
            previous = previous >> current if previous else current
    globals()[f"chain_{length}"] = chain  # a module name for each, as for `sales`
