"""ASGI entry point: HTTP through Django, websockets through Channels with session authentication."""

import asyncio
import gc
import os
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before the imports below touch models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from console.routing import websocket_urlpatterns  # noqa: E402  (the entry point: see [tool.importlinter])
from crisisdesk.middleware import database_unavailable  # noqa: E402


class SyncRequestHandler(ASGIHandler):
    """Django's request cycle (middleware and view) in one thread per request, called once, with at most
    as many requests inside Django at a time as the process has pooled database connections, each on one
    of that many long-lived threads.

    Every view and several middleware here are synchronous. Django's ASGI handler builds an async
    middleware chain and crosses between the event loop and the request's thread at each sync/async
    boundary, several times per request. And Daphne hands Django every request it receives at once:
    under a burst, hundreds of request threads fought over the GIL and the pool, and each request
    cost more CPU the more there were (both measured by bench/load.py). Requests beyond the limit wait
    in the event loop, where waiting is cheap, and get the usual 503 if no turn comes within the pool's
    timeout.

    Django's own handler also starts a new thread for every request (a fresh `ThreadSensitiveContext`
    makes its own one-thread executor), and with it a new database connection wrapper and cold
    thread-local caches: py-spy on bench/load.py showed thread starts and wrapper set-up in every request.
    Here each turn is a one-thread executor that lives as long as the process, handed to the request's
    context (asgiref's `ThreadSensitiveContext(executor=...)`), so all of one request still runs in one
    thread, as Django expects, and the threads are reused, most recently used first.
    """

    def __init__(self) -> None:
        super().__init__()
        pool = settings.DATABASES["default"].get("POOL_OPTIONS")
        self.turn_count = pool["POOL_SIZE"] if pool else 0
        self.turn_timeout = pool["TIMEOUT"] if pool else None
        self._turns: asyncio.LifoQueue[ThreadPoolExecutor] | None = None

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send) -> None:
        """The body is read in the event loop, then one trip to the request's thread does everything else.

        Django's own `handle` crosses to the thread three times (the `request_started` signal, the
        response, `close()`) and runs two tasks per request to notice a client that leaves, which a
        synchronous view cannot be stopped for anyway: together 10 % of a web process's time under
        bench/load.py. A response that is not streamed is closed (`request_finished`: the database
        connection goes back to the pool) before its bytes go out; a streamed one (static files) is
        sent, then closed, as Django does.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def respond(self, scope, body_file) -> HttpResponseBase:
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = cast(HttpResponseBase, error_response if request is None else self.get_response(request))
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's run_get_response
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response

    def turns(self) -> asyncio.LifoQueue[ThreadPoolExecutor]:
        """Made on first use, inside the server's event loop."""
        if self._turns is None:
            self._turns = asyncio.LifoQueue()
            for number in range(self.turn_count):
                self._turns.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{number}"))
        return self._turns

    async def __call__(self, scope, receive, send) -> None:
        if not self.turn_count:
            return await super().__call__(scope, receive, send)
        turns = self.turns()
        try:
            async with asyncio.timeout(self.turn_timeout):
                executor = await turns.get()
        except TimeoutError:
            await self.send_response(database_unavailable(TimeoutError("no turn for the request")), send)
            return
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            turns.put_nowait(executor)


def garbage_collection_tune() -> None:
    """Fewer, shorter full collections in a web process.

    A web process holds hundreds of open consoles, and each keeps objects that the cyclic collector
    scans on every full collection: 150k-290k objects, 90-190 ms with everything stopped, a few
    times a minute (measured with a gc callback under bench/push_latency.py). Those pauses were the
    push's p99. The objects alive once the app is loaded are frozen out of the scans, and collections
    run after more allocations (`WEB_GC_THRESHOLDS`). Pauses measured afterwards were 14-100 ms, and
    rarer.
    """
    thresholds = settings.WEB_GC_THRESHOLDS
    if thresholds:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*thresholds)


garbage_collection_tune()

application = ProtocolTypeRouter(
    {
        "http": SyncRequestHandler(),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
