from django.urls import path

from playbooks.api import views

urlpatterns = [
    path("crises/", views.CrisisListView.as_view(), name="api-crisis-list"),
    path("crises/declare/", views.CrisisDeclareView.as_view(), name="api-crisis-declare"),
    path("crises/<int:pk>/", views.CrisisDetailView.as_view(), name="api-crisis-detail"),
    path("crises/<int:pk>/level/", views.CrisisLevelView.as_view(), name="api-crisis-level"),
    path("crises/<int:pk>/resolve/", views.CrisisResolveView.as_view(), name="api-crisis-resolve"),
    path("playbooks/", views.PlaybookListView.as_view(), name="api-playbook-list"),
    path("playbooks/<int:pk>/", views.PlaybookDetailView.as_view(), name="api-playbook-detail"),
    path("alerts/", views.AlertListView.as_view(), name="api-alert-list"),
    path("dashboard/", views.DashboardView.as_view(), name="api-dashboard"),
]
