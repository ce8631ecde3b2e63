"""spark-vae on Airflow: a weekly training DAG and a daily scoring DAG (encode, then reconstruct).

Every task is a SparkSubmitOperator with the same jar, main class, Spark settings and sizes as
submit-scripts/sparkvae.sh uses for a cluster profile. They come from the profile itself, exported once per
deployment next to this file (or where SPARKVAE_PLAN points):

    submit-scripts/sparkvae.sh --cluster yarn-cpu --airflow > $AIRFLOW_HOME/dags/sparkvae-plan.json

The plan names the application jar and conf/ by their paths on the machine that exported it: deploy the build
(or set cluster.application-jar and cluster.conf-dir in the profile) at the same paths on the Airflow workers.
Airflow's Spark connection (SPARKVAE_SPARK_CONN, default spark_default) supplies spark-submit's --master and
--deploy-mode: set its host to the plan's "master" and its extra to {"deploy-mode": "<the plan's deploy_mode>"}.

Data layout, from the Airflow Variables sparkvae_data, sparkvae_models and sparkvae_output:
    train (weekly):       {data}/train (+ held-out {data}/test)  ->  {models}/latest (replaced atomically)
    encode (daily):       {data}/daily/{ds}  ->  {output}/codes/{ds}
    reconstruct (daily):  {data}/daily/{ds}  ->  {output}/scores/{ds}
Daily outputs are overwritten, so a retry or a backfill rewrites the same day. Keep cluster.* settings in the
profile: the plan is exported from the profile alone, so a recipe's cluster.* settings would reach the job's own
checks but not this submission. The recipe (network, training) is
conf/jobs/fmnist-reference.conf unless the Variable sparkvae_recipe names another file.
"""
import json
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

PLAN_FILE = os.environ.get("SPARKVAE_PLAN", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "sparkvae-plan.json"))
SPARK_CONN = os.environ.get("SPARKVAE_SPARK_CONN", "spark_default")

DATA = "{{ var.value.sparkvae_data }}"
MODEL = "{{ var.value.sparkvae_models }}/latest"
OUTPUT = "{{ var.value.sparkvae_output }}"
DAY = "{{ ds }}"


def load_plan(path=PLAN_FILE):
    """The exported submission of one cluster profile (see the module docstring)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def recipe(plan):
    """The training recipe: the Variable sparkvae_recipe, else conf/jobs/fmnist-reference.conf of the plan's conf/."""
    conf_dir = plan["application_args_prefix"][plan["application_args_prefix"].index("--conf-dir") + 1]
    return "{{ var.value.get('sparkvae_recipe', '%s/jobs/fmnist-reference.conf') }}" % conf_dir


def job_args(plan):
    """The command line of each job after the profile's arguments (the contract of dev.sparkvae.cli.Cli)."""
    return {
        "train": ["train", "--input", DATA + "/train", "--test", DATA + "/test", "--model", MODEL,
                  "--config", recipe(plan), "--overwrite"],
        "encode": ["encode", "--input", DATA + "/daily/" + DAY, "--model", MODEL,
                   "--output", OUTPUT + "/codes/" + DAY, "--overwrite"],
        "reconstruct": ["reconstruct", "--input", DATA + "/daily/" + DAY, "--model", MODEL,
                        "--output", OUTPUT + "/scores/" + DAY, "--overwrite"],
    }


def submit_task(plan, job, args):
    """A SparkSubmitOperator that runs one job the way submit-scripts/sparkvae.sh does."""
    optional = {key: plan[key] for key in ("files", "driver_memory", "executor_memory", "executor_cores",
                                          "num_executors", "total_executor_cores") if key in plan}
    return SparkSubmitOperator(
        task_id=job,
        conn_id=SPARK_CONN,
        application=plan["application"],
        java_class=plan["java_class"],
        conf=dict(plan["conf"]),
        name="spark-vae " + job,
        application_args=plan["application_args_prefix"] + args,
        **optional,
    )


PLAN = load_plan()
ARGS = job_args(PLAN)
DEFAULTS = {"owner": "spark-vae", "retries": 2, "retry_delay": timedelta(minutes=10)}

with DAG(dag_id="sparkvae_train_weekly", schedule="@weekly", start_date=datetime(2026, 1, 5), catchup=False,
         default_args=DEFAULTS, tags=["spark-vae"]) as train_dag:
    submit_task(PLAN, "train", ARGS["train"])

with DAG(dag_id="sparkvae_score_daily", schedule="@daily", start_date=datetime(2026, 1, 5), catchup=False,
         default_args=DEFAULTS, max_active_runs=1, tags=["spark-vae"]) as score_dag:
    submit_task(PLAN, "encode", ARGS["encode"]) >> submit_task(PLAN, "reconstruct", ARGS["reconstruct"])
