from django.urls import path

from playbooks.api import crisis_team, publishing, views

urlpatterns = [
    path("crises/", views.CrisisListView.as_view(), name="api-crisis-list"),
    path("crises/declare/", views.CrisisDeclareView.as_view(), name="api-crisis-declare"),
    path("crises/<int:pk>/", views.CrisisDetailView.as_view(), name="api-crisis-detail"),
    path("crises/<int:pk>/level/", views.CrisisLevelView.as_view(), name="api-crisis-level"),
    path("crises/<int:pk>/resolve/", views.CrisisResolveView.as_view(), name="api-crisis-resolve"),
    path("crises/<int:pk>/roles/", crisis_team.CrisisRolesView.as_view(), name="api-crisis-roles"),
    path(
        "crises/<int:pk>/roles/<slug:role>/<int:user_id>/",
        crisis_team.CrisisRoleHolderView.as_view(),
        name="api-crisis-role-holder",
    ),
    path(
        "crises/<int:pk>/checklist/<int:item_id>/",
        crisis_team.ChecklistItemAssignView.as_view(),
        name="api-crisis-checklist-assign",
    ),
    path("playbooks/", views.PlaybookListView.as_view(), name="api-playbook-list"),
    path("playbooks/<int:pk>/", views.PlaybookDetailView.as_view(), name="api-playbook-detail"),
    path("alerts/", views.AlertListView.as_view(), name="api-alert-list"),
    path("dashboard/", views.DashboardView.as_view(), name="api-dashboard"),
    path("scheduled-posts/", publishing.PostListView.as_view(), name="api-post-list"),
    path("scheduled-posts/<int:pk>/", publishing.PostDetailView.as_view(), name="api-post-detail"),
    path("scheduled-posts/<int:pk>/<slug:action>/", publishing.PostActionView.as_view(), name="api-post-action"),
    path("publishing/suspension/", publishing.SuspensionView.as_view(), name="api-publishing-suspension"),
    path("publishing/resume/", publishing.SuspensionResumeView.as_view(), name="api-publishing-resume"),
    path(
        "crises/<int:pk>/statements/<int:statement_id>/publish/",
        publishing.StatementPublishView.as_view(),
        name="api-crisis-statement-publish",
    ),
]
