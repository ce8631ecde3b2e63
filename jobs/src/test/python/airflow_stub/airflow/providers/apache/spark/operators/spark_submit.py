"""Stand-in SparkSubmitOperator: keeps its keyword arguments and the tasks downstream of it."""
from airflow import current_dag


class SparkSubmitOperator:
    def __init__(self, task_id, **kwargs):
        self.task_id = task_id
        self.kwargs = kwargs
        self.downstream = []
        dag = current_dag()
        if dag is None:
            raise RuntimeError("task %s made outside a DAG" % task_id)
        dag.tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other.task_id)
        return other
