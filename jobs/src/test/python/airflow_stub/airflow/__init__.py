"""A stand-in for Airflow in tests (Airflow is not installed): DAG records its settings and the tasks made in it."""

DAGS = []
_CURRENT = []


class DAG:
    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.tasks = []
        DAGS.append(self)

    def __enter__(self):
        _CURRENT.append(self)
        return self

    def __exit__(self, *exc):
        _CURRENT.pop()
        return False


def current_dag():
    return _CURRENT[-1] if _CURRENT else None
