"""The sales pipeline as an Airflow DAG (TaskFlow API).

The run directory comes from the run's conf (``{"run_dir": ...}``); the training
fan-out is dynamic task mapping, one mapped task per configuration.
"""

from datetime import timedelta

from airflow.sdk import DAG, task

from scenarios import pipeline
from scenarios.model import CONFIGS

RUN_DIR = "{{ params.run_dir }}"
ARGS = {"retries": 1, "retry_delay": timedelta(seconds=0)}

with DAG("sales", schedule=None, params={"run_dir": ""}, default_args=ARGS) as sales:
    raw = task(pipeline.validate)(RUN_DIR, task(pipeline.load)(RUN_DIR))
    split = task(pipeline.features)(RUN_DIR, raw)
    scores = task(pipeline.train).partial(run_dir=RUN_DIR, split_path=split)
    best = task(pipeline.pick_best)(RUN_DIR, scores.expand(config=list(CONFIGS)))
    task(pipeline.evaluate)(RUN_DIR, best, split) >> task(pipeline.save)(RUN_DIR, best)
