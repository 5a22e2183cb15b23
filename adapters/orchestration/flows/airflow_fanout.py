"""A wide fan-out as an Airflow DAG: one task, 100 mapped no-op tasks, one join. A
benchmark fixture of the team topology (how fast the executor drains a wide layer), not
part of the user's pipeline."""

from airflow.sdk import DAG, task

from scenarios import pipeline

RUN_DIR = "{{ params.run_dir }}"
WIDTH = 100

with DAG("fanout-100", schedule=None, params={"run_dir": ""}) as fanout:
    fan = task(pipeline.noop, task_id="fan").expand(run_dir=[str(i) for i in range(WIDTH)])
    (
        task(pipeline.noop, task_id="start")(RUN_DIR)
        >> fan
        >> task(pipeline.noop, task_id="join")(RUN_DIR)
    )
