"""Crisis room, crisis list, alerts, playbooks and review pages: validate, call a service, render.

One module per part of the console; `playbooks.urls` names the views through this package.
"""

from playbooks.views.alert_pages import alert_acknowledge, alert_detail, alert_respond
from playbooks.views.alert_routes import alert_route_delete, alert_route_edit, alert_route_list, alert_vocabulary
from playbooks.views.alerts import alert_list
from playbooks.views.crises import (
    checklist_assign,
    checklist_toggle,
    crisis_banner_partial,
    crisis_level,
    crisis_list,
    crisis_live,
    crisis_role,
    crisis_room,
    crisis_status,
)
from playbooks.views.declare import alert_declare, crisis_declare
from playbooks.views.drills import drill_detail, drill_end, drill_list, drill_revision
from playbooks.views.playbook_pages import (
    playbook_detail,
    playbook_edit,
    playbook_history,
    playbook_list,
    revision_decide,
)
from playbooks.views.publishing import (
    post_action,
    post_create,
    post_edit,
    publishing_calendar,
    publishing_resume,
    publishing_suspend,
)
from playbooks.views.report import crisis_report_page, crisis_report_pdf
from playbooks.views.reviews import crisis_review, crisis_review_complete
from playbooks.views.statements import statement_decide, statement_publish, statement_submit

__all__ = [
    "checklist_assign",
    "crisis_role",
    "alert_acknowledge",
    "alert_declare",
    "alert_detail",
    "alert_list",
    "alert_respond",
    "alert_route_delete",
    "alert_route_edit",
    "alert_route_list",
    "alert_vocabulary",
    "checklist_toggle",
    "crisis_banner_partial",
    "crisis_declare",
    "crisis_level",
    "crisis_list",
    "crisis_live",
    "crisis_report_page",
    "crisis_report_pdf",
    "crisis_review",
    "crisis_review_complete",
    "crisis_room",
    "crisis_status",
    "drill_detail",
    "drill_end",
    "drill_list",
    "drill_revision",
    "playbook_detail",
    "playbook_edit",
    "playbook_history",
    "playbook_list",
    "post_action",
    "post_create",
    "post_edit",
    "publishing_calendar",
    "publishing_resume",
    "publishing_suspend",
    "revision_decide",
    "statement_decide",
    "statement_publish",
    "statement_submit",
]
