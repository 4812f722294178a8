from django.urls import path

from inbox import approval_views, case_views, cluster_views, connect_views, triage_views, views, views_composer

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_page, name="list"),
    path("rows/", views.inbox_rows, name="rows"),
    path("bulk/", views.inbox_bulk, name="bulk"),
    path("reply-checks/", views_composer.reply_checks, name="reply_checks"),
    path("approvals/", approval_views.approvals_page, name="approvals"),
    path("approvals/rule/", approval_views.approval_rule_page, name="approval_rule"),
    path("approvals/<int:reply_id>/approve/", approval_views.reply_approve, name="reply_approve"),
    path("approvals/<int:reply_id>/reject/", approval_views.reply_reject, name="reply_reject"),
    path("channels/", views.channels_page, name="channels"),
    path("channels/connect/", connect_views.connect_page, name="connect"),
    path("channels/connect/callback/", connect_views.connect_callback, name="connect_callback"),
    path("channels/<int:channel_id>/test/", connect_views.channel_test, name="channel_test"),
    path("channels/<int:channel_id>/disconnect/", connect_views.channel_disconnect_view, name="channel_disconnect"),
    path("triage-model/", triage_views.triage_model_page, name="triage_model"),
    path("triage-model/retrain/", triage_views.triage_model_retrain, name="triage_model_retrain"),
    path("triage-model/rollback/", triage_views.triage_model_roll_back, name="triage_model_rollback"),
    path("mentions/<int:mention_id>/", views.mention_page, name="detail"),
    path("mentions/<int:mention_id>/assign/", views.mention_assign, name="assign"),
    path("mentions/<int:mention_id>/reply/", views.mention_reply, name="reply"),
    path("mentions/<int:mention_id>/take-over/", views.mention_take_over, name="take_over"),
    path("mentions/<int:mention_id>/replies/<int:reply_id>/retry/", views.reply_retry, name="reply_retry"),
    path(
        "mentions/<int:mention_id>/replies/<int:reply_id>/cancel/", views_composer.reply_cancel, name="reply_cancel"
    ),
    path("mentions/<int:mention_id>/reply-templates/", views_composer.reply_templates, name="reply_templates"),
    path("mentions/<int:mention_id>/reply-anyway/", views_composer.mention_reply_anyway, name="reply_anyway"),
    path("mentions/<int:mention_id>/hide/", views.mention_hide, name="hide"),
    path("mentions/<int:mention_id>/relabel/", views.mention_relabel, name="relabel"),
    path("mentions/<int:mention_id>/unhide/", views.mention_unhide, name="unhide"),
    path("mentions/<int:mention_id>/close/", views.mention_close, name="close"),
    path("mentions/<int:mention_id>/reopen/", views.mention_reopen, name="reopen"),
    path("cases/", case_views.cases_page, name="cases"),
    path("cases/open/", case_views.case_open, name="case_open"),
    path("cases/<str:number>/", case_views.case_page, name="case"),
    path("cases/<str:number>/private-reply/", case_views.case_private_reply, name="case_private_reply"),
    path("cases/<str:number>/status/", case_views.case_status, name="case_status"),
    path(
        "cases/<str:number>/deliveries/<int:delivery_id>/retry/",
        case_views.case_delivery_retry,
        name="case_delivery_retry",
    ),
    path("clusters/", cluster_views.clusters_page, name="clusters"),
    path("clusters/<int:cluster_id>/", cluster_views.cluster_page, name="cluster"),
    path("clusters/<int:cluster_id>/answer/", cluster_views.cluster_answer, name="cluster_answer"),
    path("clusters/<int:cluster_id>/hide/", cluster_views.cluster_hide, name="cluster_hide"),
    path("clusters/<int:cluster_id>/assign/", cluster_views.cluster_assign, name="cluster_assign"),
    path("clusters/<int:cluster_id>/close/", cluster_views.cluster_close, name="cluster_close"),
    path(
        "clusters/actions/<int:action_id>/progress/",
        cluster_views.cluster_action_progress,
        name="cluster_action_progress",
    ),
]
