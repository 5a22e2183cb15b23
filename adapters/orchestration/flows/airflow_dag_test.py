"""Run one DAG with ``dag.test()`` and write its task instances as the REST API shows them.

Usage: ``python airflow_dag_test.py DAG_FILE DAG_ID RUN_DIR``; writes RUN_DIR/records.json.
``dag.test()`` returns normally when the run fails, so the state is read from the run.
"""

import json
import runpy
import sys
from pathlib import Path

from airflow.sdk import DAG


def main(dag_file: str, dag_id: str, run_dir: str) -> int:
    dags = [v for v in runpy.run_path(dag_file).values() if isinstance(v, DAG)]
    dag = next(d for d in dags if d.dag_id == dag_id)
    run = dag.test(run_conf={"run_dir": run_dir})
    steps = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": str(ti.state),
            "try_number": ti.try_number,
            "start_date": ti.start_date.isoformat(),
            "end_date": ti.end_date and ti.end_date.isoformat(),
        }
        for ti in run.get_task_instances()
        if ti.start_date
    ]
    records = {"state": str(run.state), "run_id": run.run_id, "steps": steps}
    Path(run_dir, "records.json").write_text(json.dumps(records))
    return 0 if run.state == "success" else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
