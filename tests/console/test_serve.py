"""`manage.py serve --web-processes N`: several processes only where they share a channel layer and broker."""

import pytest
from django.core.management import CommandError, call_command


def test_the_embedded_mode_refuses_several_web_processes(settings):
    # Given the embedded mode, whose channel layer and broker live in one process's memory
    settings.EMBEDDED = True

    # When two web processes are asked for, then it refuses before doing anything
    with pytest.raises(CommandError, match="one process"):
        call_command("serve", web_processes=2, no_demo=True)


def test_at_least_one_web_process():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", web_processes=0, no_demo=True)
