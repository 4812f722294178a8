"""The alert buttons of Slack messages, handled through escalation's one interactivity URL.

Slack's signature was verified by the endpoint (`escalation.slack`); the button's value carries a
signed alert token (`alert_links.slack_button_value`), verified here too, so only a button we sent
can acknowledge, and only its own alert. Registered in `PlaybooksConfig.ready()`.
"""

from __future__ import annotations

import logging

from escalation.slack import SlackAction, slack_action_handler_register
from playbooks.alert_links import AlertLinkRefused, slack_button_grant
from playbooks.alert_messages import SLACK_ACTION_ALERT_ACKNOWLEDGE
from playbooks.errors import CrisisNotFound
from playbooks.models import AlertAcknowledgedVia
from playbooks.services.alerts import alert_acknowledge

logger = logging.getLogger(__name__)


def slack_alert_acknowledge(action: SlackAction) -> None:
    """Acknowledge the button's alert in the name of the Slack user who clicked it."""
    try:
        grant = slack_button_grant(action.value)
        alert_acknowledge(
            alert_id=grant.alert_id, actor=None, via=AlertAcknowledgedVia.SLACK,
            label=f"{action.slack_user_name} (Slack)",
        )
    except (AlertLinkRefused, CrisisNotFound) as refusal:
        logger.info("Slack alert button refused: %s", refusal)


def slack_handlers_register() -> None:
    slack_action_handler_register(SLACK_ACTION_ALERT_ACKNOWLEDGE, slack_alert_acknowledge)
