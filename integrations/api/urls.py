from django.urls import path

from integrations.api import views

urlpatterns = [
    path("auth/token/", views.ApiTokenView.as_view(), name="api-token"),
    path("auth/token/login/", views.api_token_login_view, name="api-token-login"),
    path("webhooks/", views.WebhookEndpointListView.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookEndpointDetailView.as_view(), name="api-webhook-detail"),
    path(
        "webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
]
