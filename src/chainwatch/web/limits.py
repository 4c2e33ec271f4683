"""Bounds on what one request may take: admission, body size and wall time.

Admission
---------
Every request that reads the database holds one database handle (a :meth:`Store.cursor`) and one
worker thread while it runs. :class:`Admission` lets at most ``web_concurrency`` such requests run
at once; up to ``web_queue`` more wait for a slot *without holding a thread* (an awaited future on
the event loop) for at most ``web_queue_ms``; anything beyond answers ``503`` with ``Retry-After``
at once. Because the handle pool has exactly as many handles as there are slots, an admitted
request always finds a handle immediately: nobody blocks a thread waiting for one (the 0.1 design
did, and locked up at ~50 clients). The pool hands out ``Store.cursor()`` handles of whatever
backend the store is (DuckDB cursors today, pooled connections on PostgreSQL).

Body size
---------
:class:`Guard` refuses a request whose body is larger than ``web_max_body_kb`` (JSON and forms) or
``upload_max_mb`` (file uploads) with ``413``: by its ``Content-Length`` before reading anything,
and while streaming when the length is not declared.

Wall time
---------
:func:`run_with_deadline` runs a costly computation (a simulation run) in its own thread and
stops it when it exceeds ``web_run_seconds``: the thread gets a :class:`RunStopped` exception at
its next Python instruction (``PyThreadState_SetAsyncExc``), so numpy loops between sweeps and
months stop within one step; the request answers ``503`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chainwatch.errors import ChainwatchError

T = TypeVar("T")

#: paths that never touch the database (no admission needed)
FREE_PREFIXES = ("/static/", "/api/health", "/favicon.ico", "/api/docs", "/api/openapi.json")
#: multipart uploads of files (the larger body limit applies)
UPLOAD_PATHS = ("/api/imports", "/imports")


class Overloaded(ChainwatchError):
    """The server is at capacity; try again shortly (HTTP 503 with Retry-After)."""

    http_status = 503
    exit_code = 3
    default_key = "sec.busy"


class BodyTooLarge(ChainwatchError):
    """The request body exceeds its limit (HTTP 413)."""

    http_status = 413
    default_key = "sec.body_too_large"


class RunTooLong(ChainwatchError):
    """A computation exceeded its wall-time limit and was stopped (HTTP 503 with Retry-After)."""

    http_status = 503
    exit_code = 3
    default_key = "sec.run_too_long"


class RunStopped(BaseException):
    """Raised inside a worker thread to stop it (a BaseException, so ``except Exception`` lets it pass)."""


class Admission:
    """At most ``slots`` requests at once; ``queue`` more wait up to ``wait`` seconds without a thread.

    Works across event loops (the test client runs each request on a fresh loop): waiters are
    futures of their own loop, woken thread-safely; a slot handed to a waiter that timed out in the
    meantime is passed on to the next one.
    """

    def __init__(self, slots: int, queue: int, wait: float) -> None:
        self.slots = max(1, int(slots))
        self.queue = max(0, int(queue))
        self.wait = max(0.0, float(wait))
        self.active = 0
        self.admitted = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[bool]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def enter(self) -> bool:
        """Take a slot (True) or give up (False: full queue, or no slot within ``wait``)."""
        with self._lock:
            if self.active < self.slots and not self._waiters:
                self.active += 1
                self.admitted += 1
                return True
            if len(self._waiters) >= self.queue or self.wait <= 0:
                self.refused += 1
                return False
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[bool] = loop.create_future()
            entry = (loop, fut)
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(fut, self.wait)
        except TimeoutError:
            with self._lock:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass  # already handed a slot: _wake sees the cancelled future and passes it on
                self.refused += 1
            return False
        with self._lock:
            self.admitted += 1
        return True

    def leave(self) -> None:
        """Give the slot back: to the longest-waiting request, else to the pool."""
        with self._lock:
            if not self._waiters:
                self.active -= 1
                return
            loop, fut = self._waiters.popleft()
        try:
            loop.call_soon_threadsafe(self._wake, fut)
        except RuntimeError:  # that loop is closed: pass the slot on
            self.leave()

    def _wake(self, fut: asyncio.Future[bool]) -> None:
        if fut.done():  # the waiter gave up just before the hand-over
            self.leave()
        else:
            fut.set_result(True)

    def stats(self) -> dict[str, int]:
        return {"slots": self.slots, "active": self.active, "waiting": self.waiting,
                "admitted": self.admitted, "refused": self.refused}


def _retry_after(wait: float) -> bytes:
    return str(max(1, int(wait + 0.999))).encode()


class Guard:
    """Pure ASGI middleware: body-size limits, then admission (503 + Retry-After when full)."""

    def __init__(self, app: ASGIApp, admission: Admission, *, max_body: int, max_upload: int,
                 error_page: Callable[[Scope, ChainwatchError], tuple[int, list[tuple[bytes, bytes]], bytes]]
                 ) -> None:
        self.app = app
        self.admission = admission
        self.max_body = max_body
        self.max_upload = max_upload
        self.error_page = error_page

    async def _refuse(self, scope: Scope, send: Send, exc: ChainwatchError, retry: bool) -> None:
        status, headers, body = self.error_page(scope, exc)
        if retry:
            headers = [*headers, (b"retry-after", _retry_after(self.admission.wait))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _limit(self, scope: Scope) -> int:
        path = scope.get("path", "")
        ctype = b""
        for k, v in scope.get("headers", []):
            if k == b"content-type":
                ctype = v
                break
        if ctype.startswith(b"multipart/form-data") and path in UPLOAD_PATHS:
            return self.max_upload
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(scope, send, BodyTooLarge(limit_kb=limit // 1024), retry=False)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit_kb=limit // 1024)
            return message

        path = scope.get("path", "")
        if path.startswith(FREE_PREFIXES):
            await self.app(scope, counted, send)
            return
        if not await self.admission.enter():
            await self._refuse(scope, send, Overloaded(), retry=True)
            return
        try:
            await self.app(scope, counted, send)
        finally:
            self.admission.leave()


def json_error(status: int, envelope: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    return status, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


# -- wall time ---------------------------------------------------------------------------------
def _raise_in(thread: threading.Thread) -> bool:
    ident = thread.ident
    if ident is None:
        return False
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(RunStopped))
    if n > 1:  # never expected: undo rather than hit another thread
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)
        return False
    return n == 1


def run_with_deadline(fn: Callable[[], T], seconds: float, *, on_stop: Callable[[], None] | None = None) -> T:
    """Run ``fn()`` in its own thread and return its result; stop it after ``seconds``.

    Raises
    ------
    RunTooLong
        When ``fn`` did not finish in time; it has been stopped (``RunStopped`` raised in its
        thread) and ``on_stop`` is called once the thread has ended (e.g. to discard its handle).
    """
    box: dict[str, Any] = {}
    state = {"done": False}
    lock = threading.Lock()

    def target() -> None:
        try:
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                box["error"] = exc
            with lock:
                state["done"] = True
        except RunStopped:  # delivered between fn's end and the flag: the result is still valid
            with lock:
                state["done"] = True

    worker = threading.Thread(target=target, name="chainwatch-run", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        with lock:
            stopped = not state["done"] and _raise_in(worker)
        if stopped:
            worker.join(5.0)
            if on_stop is not None:
                on_stop()
            raise RunTooLong(seconds=int(seconds))
        worker.join()
    error = box.get("error")
    if isinstance(error, RunStopped):
        raise RunTooLong(seconds=int(seconds))
    if error is not None:
        raise error
    return box["value"]  # type: ignore[no-any-return]
