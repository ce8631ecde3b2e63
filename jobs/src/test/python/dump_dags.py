"""Imports a DAG file against the Airflow stand-in and prints its DAGs and tasks as JSON.
    python3 dump_dags.py DAG_FILE   (SPARKVAE_PLAN names the plan the DAG file reads)"""
import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "airflow_stub"))
import airflow  # noqa: E402  (the stand-in)

spec = importlib.util.spec_from_file_location("dags", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps([{"dag_id": dag.dag_id, "schedule": dag.kwargs.get("schedule"),
                   "tasks": [dict(task.kwargs, task_id=task.task_id, downstream=task.downstream)
                             for task in dag.tasks]} for dag in airflow.DAGS], indent=1))
