import os
import socket

from celery import shared_task

from crisisdesk.services import heartbeat_record
from crisisdesk.webhooks import webhook_deliveries_retry_due, webhook_delivery_attempt


@shared_task(name="crisisdesk.heartbeat", ignore_result=True)
def heartbeat() -> None:
    heartbeat_record(name="worker", detail={"host": socket.gethostname(), "pid": os.getpid()})


@shared_task(name="notify.webhook_deliver", ignore_result=True, acks_late=True, reject_on_worker_lost=True,
             time_limit=60, soft_time_limit=30)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt; the service schedules the next one itself, and skips deliveries already done."""
    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="notify.webhook_deliveries_sweep", ignore_result=True, acks_late=True)
def webhook_deliveries_sweep() -> None:
    webhook_deliveries_retry_due()
