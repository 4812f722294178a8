from django.urls import path

from integrations import views

urlpatterns = [
    path("tokens/", views.api_tokens_page, name="api_tokens"),
]
