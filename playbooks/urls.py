from django.urls import path

from playbooks import dashboard_views, views

app_name = "playbooks"

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/data/", dashboard_views.dashboard_data, name="dashboard_data"),
    path("crises/", views.crisis_list, name="crisis_list"),
    path("crises/banner/", views.crisis_banner_partial, name="crisis_banner"),
]
