from django.urls import path

from escalation.api import views, views_oncall

urlpatterns = [
    path("escalations/", views.EscalationListCreateView.as_view(), name="api-escalation-list"),
    path("escalations/<int:pk>/", views.EscalationDetailView.as_view(), name="api-escalation-detail"),
    path(
        "escalations/<int:pk>/acknowledge/",
        views.EscalationAcknowledgeView.as_view(),
        name="api-escalation-acknowledge",
    ),
    path("escalations/<int:pk>/answer/", views.EscalationAnswerView.as_view(), name="api-escalation-answer"),
    path("escalations/<int:pk>/close/", views.EscalationCloseView.as_view(), name="api-escalation-close"),
    path(
        "departments/<int:department_id>/on-call/",
        views_oncall.DepartmentOnCallView.as_view(),
        name="api-department-on-call",
    ),
    path("escalation-answers/approved/", views.ApprovedAnswerListView.as_view(), name="api-approved-answers"),
]
