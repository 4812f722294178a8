from django.urls import path

from playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("crises/", views.crisis_list, name="crisis_list"),
    path("crises/banner/", views.crisis_banner_partial, name="crisis_banner"),
]
