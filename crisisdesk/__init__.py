# The metrics module first: in multiprocess mode it names the processes' metric files before any metric exists.
from . import metrics as metrics  # noqa: I001
from .celery import app as celery_app

__all__ = ["celery_app"]
