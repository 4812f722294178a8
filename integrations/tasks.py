"""Celery tasks of the integrations: outgoing webhook deliveries (task names unchanged since they left crisisdesk)."""

from crisisdesk.tasking import reliable_task
from integrations.services.delivery import webhook_deliveries_retry_due, webhook_delivery_attempt


@reliable_task(name="notify.webhook_deliver", time_limit=60, soft_time_limit=30)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt; the service schedules the next one itself, and skips deliveries already done."""
    webhook_delivery_attempt(delivery_id=delivery_id)


@reliable_task(name="notify.webhook_deliveries_sweep")
def webhook_deliveries_sweep() -> None:
    webhook_deliveries_retry_due()
