"""Celery tasks of the project package: the worker's heartbeat."""

import os
import socket

from crisisdesk.services import heartbeat_record
from crisisdesk.tasking import reliable_task


@reliable_task(name="crisisdesk.heartbeat")
def heartbeat() -> None:
    heartbeat_record(name="worker", detail={"host": socket.gethostname(), "pid": os.getpid()})
