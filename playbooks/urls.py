from django.urls import path

from playbooks import dashboard_views, views

app_name = "playbooks"

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/data/", dashboard_views.dashboard_data, name="dashboard_data"),
    path("dashboard/export/<slug:chart>.csv", dashboard_views.dashboard_export, name="dashboard_export"),
    path("crises/", views.crisis_list, name="crisis_list"),
    path("crises/banner/", views.crisis_banner_partial, name="crisis_banner"),
    path("crises/declare/", views.crisis_declare, name="crisis_declare"),
    path("crises/<int:crisis_id>/", views.crisis_room, name="crisis_room"),
    path("crises/<int:crisis_id>/live/", views.crisis_live, name="crisis_live"),
    path("crises/<int:crisis_id>/level/", views.crisis_level, name="crisis_level"),
    path("crises/<int:crisis_id>/status/<slug:action>/", views.crisis_status, name="crisis_status"),
    path("crises/<int:crisis_id>/checklist/<int:item_id>/", views.checklist_toggle, name="checklist_toggle"),
    path(
        "crises/<int:crisis_id>/checklist/<int:item_id>/assign/", views.checklist_assign, name="checklist_assign"
    ),
    path("crises/<int:crisis_id>/roles/<slug:action>/", views.crisis_role, name="crisis_role"),
    path("crises/<int:crisis_id>/statements/", views.statement_submit, name="statement_submit"),
    path(
        "crises/<int:crisis_id>/statements/<int:statement_id>/decide/",
        views.statement_decide,
        name="statement_decide",
    ),
    path(
        "crises/<int:crisis_id>/statements/<int:statement_id>/publish/",
        views.statement_publish,
        name="statement_publish",
    ),
    path("crises/<int:crisis_id>/review/", views.crisis_review, name="crisis_review"),
    path("crises/<int:crisis_id>/report/", views.crisis_report_page, name="crisis_report"),
    path("crises/<int:crisis_id>/report.pdf", views.crisis_report_pdf, name="crisis_report_pdf"),
    path(
        "crises/<int:crisis_id>/review/complete/", views.crisis_review_complete, name="crisis_review_complete"
    ),
    path("publishing/", views.publishing_calendar, name="publishing"),
    path("publishing/posts/", views.post_create, name="post_create"),
    path("publishing/posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("publishing/posts/<int:post_id>/<slug:action>/", views.post_action, name="post_action"),
    path("publishing/suspend/", views.publishing_suspend, name="publishing_suspend"),
    path("publishing/resume/", views.publishing_resume, name="publishing_resume"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/declare/", views.alert_declare, name="alert_declare"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/respond/<str:token>/", views.alert_respond, name="alert_respond"),
    path("alerts/routes/", views.alert_route_list, name="alert_route_list"),
    path("alerts/routes/<int:route_id>/", views.alert_route_edit, name="alert_route_edit"),
    path("alerts/routes/<int:route_id>/delete/", views.alert_route_delete, name="alert_route_delete"),
    path("alerts/vocabulary/", views.alert_vocabulary, name="alert_vocabulary"),
    path("drills/", views.drill_list, name="drill_list"),
    path("drills/<int:drill_id>/", views.drill_detail, name="drill_detail"),
    path("drills/<int:drill_id>/end/", views.drill_end, name="drill_end"),
    path("drills/<int:drill_id>/revision/", views.drill_revision, name="drill_revision"),
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/<int:playbook_id>/", views.playbook_detail, name="playbook_detail"),
    path("playbooks/<int:playbook_id>/edit/", views.playbook_edit, name="playbook_edit"),
    path("playbooks/<int:playbook_id>/history/", views.playbook_history, name="playbook_history"),
    path(
        "playbooks/revisions/<int:revision_id>/<slug:action>/", views.revision_decide, name="revision_decide"
    ),
]
