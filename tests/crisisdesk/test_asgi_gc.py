"""A web process tunes its garbage collector when it loads the ASGI application."""

import gc

from django.conf import settings


def test_loading_the_web_application_freezes_startup_objects_and_sets_the_thresholds():
    import crisisdesk.asgi  # noqa: F401 - loading it is what a Daphne process does

    assert settings.WEB_GC_THRESHOLDS == (10000, 20, 100)
    assert gc.get_threshold() == settings.WEB_GC_THRESHOLDS
    assert gc.get_freeze_count() > 10_000
