"""Routes the platforms push to, mounted under /hooks/."""

from django.urls import path

from inbox import webhooks

app_name = "hooks"

urlpatterns = [
    path("meta/<int:channel_id>/", webhooks.meta_webhook, name="meta"),
    path("webhook/<int:channel_id>/", webhooks.generic_webhook, name="generic"),
    path("discourse/<int:channel_id>/", webhooks.discourse_webhook, name="discourse"),
]
