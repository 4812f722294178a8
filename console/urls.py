"""Single sign-on's routes (console.sign_on_views), under /sso/; both answer 404 until it is configured."""

from django.urls import path

from console import sign_on_views

app_name = "sign_on"

urlpatterns = [
    path("start/", sign_on_views.sign_on_start, name="start"),
    path("callback/", sign_on_views.sign_on_callback, name="callback"),
]
