"""Queueing a task from a request thread does not look the result backend's class up again."""

import threading

from celery.app import backends

from crisisdesk.celery import CrisisDeskCelery


def test_each_thread_gets_its_own_backend_but_the_class_is_found_once(monkeypatch):
    lookups = []
    real_by_url = backends.by_url

    def counting_by_url(*args, **kwargs):
        lookups.append(args)
        return real_by_url(*args, **kwargs)

    monkeypatch.setattr(backends, "by_url", counting_by_url)
    app = CrisisDeskCelery("lookup-once", set_as_current=False)
    app.conf.result_backend = "redis://127.0.0.1:6379/15"
    seen = []

    def a_request_thread() -> None:
        seen.append(app.backend)

    threads = [threading.Thread(target=a_request_thread) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(backend) for backend in seen}) == 3  # still one per thread: Redis' is not thread-safe
    assert type(seen[0]).__name__ == "RedisBackend"
    assert len(lookups) == 1
