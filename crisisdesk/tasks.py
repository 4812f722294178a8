import os
import socket

from celery import shared_task

from crisisdesk.services import heartbeat_record


@shared_task(name="crisisdesk.heartbeat", ignore_result=True)
def heartbeat() -> None:
    heartbeat_record(name="worker", detail={"host": socket.gethostname(), "pid": os.getpid()})
