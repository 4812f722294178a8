from django.urls import include, path

urlpatterns = [
    path("", include("inbox.api.urls")),
    path("", include("escalation.api.urls")),
    path("", include("playbooks.api.urls")),
    path("", include("integrations.api.urls")),
]
