from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crisisdesk import views
from crisisdesk.roles import EVERYONE, HasRole


class SchemaView(SpectacularAPIView):
    allowed_roles = EVERYONE
    permission_classes = [HasRole]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its set-up script served from `?script` and no inline style: it runs under the CSP."""

    allowed_roles = EVERYONE
    permission_classes = [HasRole]
    template_name = "crisisdesk/swagger_ui.html"


# What is called most comes first: Django tries the patterns in order and notes every one that did not match,
# so the API polled by a thousand consoles and the platforms' webhooks no longer walk past every page's route
# (`playbooks.urls` hangs from the root) on each call.
urlpatterns = [
    path("api/", include("crisisdesk.api_urls")),
    path("hooks/", include("inbox.webhook_urls")),
    path("", views.start, name="start"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("sso/", include("console.urls")),
    path("language/", views.language_set, name="language_set"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("settings/", include("integrations.urls")),
    path("admin/", admin.site.urls),
    path("inbox/", include("inbox.urls")),
    path("escalation/", include("escalation.urls")),
    path("", include("playbooks.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]

handler500 = "crisisdesk.middleware.server_error"
