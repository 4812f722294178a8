from django.urls import path

from escalation import link_views, mail_views, views, views_author, views_holding, views_oncall, views_slack

app_name = "escalation"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("cards/", views.desk_cards, name="cards"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/card/", views.request_card, name="card"),
    path("<int:request_id>/silence/", views.request_silence, name="silence"),
    path("<int:request_id>/acknowledge/", views.request_acknowledge, name="acknowledge"),
    path("<int:request_id>/answer/", views.request_answer, name="answer"),
    path("<int:request_id>/close/", views.request_close, name="close"),
    path("mention/<int:mention_id>/", views.mention_escalate, name="mention_escalate"),
    path("mention/<int:mention_id>/panel/", views.mention_panel, name="mention_panel"),
    path("author/<int:author_id>/", views_author.author_escalations, name="author_escalations"),
    path("on-call/", views_oncall.on_call, name="on_call"),
    path("on-call/<int:department_id>/calendar.ics", views_oncall.on_call_feed, name="on_call_feed"),
    path("responsiveness.csv", views_oncall.responsiveness_export, name="responsiveness_export"),
    path("cluster/<int:cluster_id>/", views.cluster_escalate, name="cluster_escalate"),
    path("<int:request_id>/respond/<str:token>/", link_views.respond, name="respond"),
    path(
        "<int:request_id>/respond/<str:token>/acknowledge/",
        link_views.respond_acknowledge,
        name="respond_acknowledge",
    ),
    path("<int:request_id>/respond/<str:token>/answer/", link_views.respond_answer, name="respond_answer"),
    path("slack/interactions/", views_slack.slack_interactions, name="slack_interactions"),
    path("mail/mailgun/", mail_views.mailgun_inbound, name="mail_mailgun"),
    path("mail/postmark/", mail_views.postmark_inbound, name="mail_postmark"),
    path("holding-lines/", views_holding.holding_lines, name="holding_lines"),
    path("holding-lines/<int:line_id>/approve/", views_holding.holding_line_approve, name="holding_line_approve"),
    path("holding-lines/<int:line_id>/retire/", views_holding.holding_line_retire, name="holding_line_retire"),
]
