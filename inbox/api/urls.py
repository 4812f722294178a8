from django.urls import path

from inbox.api import approvals, clusters, views

urlpatterns = [
    path("mentions/", views.MentionListView.as_view(), name="api-mention-list"),
    path("mentions/<int:pk>/", views.MentionDetailView.as_view(), name="api-mention-detail"),
    path("mentions/<int:pk>/assign/", views.MentionAssignView.as_view(), name="api-mention-assign"),
    path("mentions/<int:pk>/reply/", views.MentionReplyView.as_view(), name="api-mention-reply"),
    path("mentions/<int:pk>/hide/", views.MentionHideView.as_view(), name="api-mention-hide"),
    path("mentions/<int:pk>/close/", views.MentionCloseView.as_view(), name="api-mention-close"),
    path("replies/<int:pk>/cancel/", views.ReplyCancelView.as_view(), name="api-reply-cancel"),
    path("reply-approvals/", approvals.ReplyApprovalListView.as_view(), name="api-reply-approval-list"),
    path("replies/<int:pk>/approve/", approvals.ReplyApproveView.as_view(), name="api-reply-approve"),
    path("replies/<int:pk>/reject/", approvals.ReplyRejectView.as_view(), name="api-reply-reject"),
    path("channels/", views.ChannelHealthListView.as_view(), name="api-channel-list"),
    path("channels/triage-backlog/", views.TriageBacklogView.as_view(), name="api-triage-backlog"),
    path("clusters/", clusters.ClusterListView.as_view(), name="api-cluster-list"),
    path("clusters/<int:pk>/", clusters.ClusterDetailView.as_view(), name="api-cluster-detail"),
    path("clusters/<int:pk>/answer/", clusters.ClusterAnswerView.as_view(), name="api-cluster-answer"),
    path("clusters/<int:pk>/hide/", clusters.ClusterHideView.as_view(), name="api-cluster-hide"),
    path("clusters/<int:pk>/assign/", clusters.ClusterAssignView.as_view(), name="api-cluster-assign"),
    path("cluster-actions/<int:pk>/", clusters.ClusterActionProgressView.as_view(), name="api-cluster-action-detail"),
]
