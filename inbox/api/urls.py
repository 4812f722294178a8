from django.urls import path

from inbox.api import views

urlpatterns = [
    path("mentions/", views.MentionListView.as_view(), name="api-mention-list"),
    path("mentions/<int:pk>/", views.MentionDetailView.as_view(), name="api-mention-detail"),
    path("mentions/<int:pk>/assign/", views.MentionAssignView.as_view(), name="api-mention-assign"),
    path("mentions/<int:pk>/reply/", views.MentionReplyView.as_view(), name="api-mention-reply"),
    path("mentions/<int:pk>/hide/", views.MentionHideView.as_view(), name="api-mention-hide"),
    path("mentions/<int:pk>/close/", views.MentionCloseView.as_view(), name="api-mention-close"),
    path("replies/<int:pk>/cancel/", views.ReplyCancelView.as_view(), name="api-reply-cancel"),
    path("channels/", views.ChannelHealthListView.as_view(), name="api-channel-list"),
]
