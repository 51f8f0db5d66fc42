"""The page cache: anonymous visitors' catalog pages served from memory, invalidated exactly.

Who gets a cached page: a GET (or HEAD) with no session cookie and no messages cookie. A
visitor without a session has, by construction, no cart, no sign-in and no messages, so the
page everyone without a session sees is the same page: nothing personal is ever cached. A
visitor with a session (a cart, signed in, a message waiting) is always rendered afresh.
What is cached: only responses a view marks with `mark_cacheable(response, tags)` (the
catalog's home, category and product pages), status 200, setting no cookie.

Exact invalidation: every stored page names the things it shows as tags (`page:12`,
`product:7`, `nav`, ...). A change bumps its tags (`bump(tags)`, after the change commits)
in a version registry every process reads on every hit; a page whose tags moved since it
was rendered is not served again. The registry is shared by all processes: a small file on
the embedded default (one machine, any number of gunicorn workers: one `stat` per request
tells whether it changed), Redis with REDIS_URL (several machines). The pages themselves are
kept per process (the embedded default) or in Redis.

Written by hand because no maintained Django package serves a page cache that is both
invalidated by tag, immediately across processes, and safe with per-visitor headers; the
parts it stands on are Django's own caches.

HTTP: stored pages carry an ETag and `Cache-Control: public, no-cache`, so a CDN in front
may keep them but asks again each time (a 304 from here costs nothing); it must pass
requests with the session cookie through (docs/performance.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import threading
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified

SEQUENCE = "_seq"


# --- the version registry ------------------------------------------------------------------


class FileVersions:
    """Tag versions in one JSON file: readers reload it only when it changed (its inode,
    size or modification time), writers replace it atomically under an exclusive lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple | None = None
        self._data: dict[str, int] = {}
        self._lock = threading.Lock()

    def _current(self) -> dict[str, int]:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return {}
        seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if seen != self._seen:
            with self._lock:
                try:
                    self._data = json.loads(self.path.read_bytes() or b"{}")
                except (OSError, ValueError):
                    self._data = {}
                self._seen = seen
        return self._data

    def sequence(self) -> int:
        return self._current().get(SEQUENCE, 0)

    def newest(self, tags: Iterable[str]) -> int:
        data = self._current()
        return max((data.get(tag, 0) for tag in tags), default=0)

    def bump(self, tags: Iterable[str]) -> None:
        tags = set(tags)
        if not tags:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = json.loads(self.path.read_bytes() or b"{}")
            except (OSError, ValueError):
                data = {}
            sequence = data.get(SEQUENCE, 0) + 1
            data[SEQUENCE] = sequence
            data.update(dict.fromkeys(tags, sequence))
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data))
            os.replace(temporary, self.path)


class CacheVersions:
    """Tag versions in a shared Django cache (Redis): one round trip per check."""

    def __init__(self, alias: str):
        self.alias = alias

    @property
    def cache(self):
        return caches[self.alias]

    def _key(self, tag: str) -> str:
        return f"pagever:{tag}"

    def sequence(self) -> int:
        return int(self.cache.get(self._key(SEQUENCE)) or 0)

    def newest(self, tags: Iterable[str]) -> int:
        found = self.cache.get_many([self._key(tag) for tag in tags])
        return max((int(value) for value in found.values()), default=0)

    def bump(self, tags: Iterable[str]) -> None:
        tags = set(tags)
        if not tags:
            return
        self.cache.add(self._key(SEQUENCE), 0, timeout=None)
        sequence = self.cache.incr(self._key(SEQUENCE))
        self.cache.set_many({self._key(tag): sequence for tag in tags}, timeout=None)


_registry: FileVersions | CacheVersions | None = None


def registry() -> FileVersions | CacheVersions:
    global _registry
    wanted = settings.PAGE_CACHE["VERSIONS"]
    if _registry is None or getattr(_registry, "_wanted", None) != wanted:
        kind, _sep, where = wanted.partition(":")
        _registry = FileVersions(Path(where)) if kind == "file" else CacheVersions(where)
        _registry._wanted = wanted
    return _registry


def bump(tags: Iterable[str]) -> None:
    """The pages showing any of `tags` are stale from the moment the current transaction
    commits (at once outside one)."""
    tags = set(tags)
    if tags:
        transaction.on_commit(lambda: registry().bump(tags), robust=True)


# --- views mark what may be cached -----------------------------------------------------------


def mark_cacheable(response, tags: Iterable[str]):
    """Offer `response` to the page cache, naming what it shows. Stored only for a visitor
    without a session (see the module docstring)."""
    response.page_cache_tags = frozenset(tags)
    return response


def is_anonymous_visit(request) -> bool:
    """A visitor whose page may come from (and go to) the cache: a GET or HEAD with no
    session and no messages cookie."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and settings.PAGE_CACHE["ENABLED"]
    )


# --- the middleware ----------------------------------------------------------------------------


def generation() -> str:
    """What every cached page also depends on: the shop's settings shown on pages and the
    release (a deploy with Redis must not serve the previous release's pages)."""
    shown = json.dumps([settings.SHOP_IDENTITY, settings.SHOP_CURRENCY,
                        str(settings.SHOP_VAT_RATE), settings.PAGE_CACHE["RELEASE"]],
                       sort_keys=True)
    return hashlib.sha1(shown.encode()).hexdigest()[:12]


def _key(request) -> str:
    raw = f"{generation()}|{request.get_host()}|{request.get_full_path()}"
    return "page:" + hashlib.sha1(raw.encode()).hexdigest()


# Headers of the stored page that belong to the visitor who rendered it, not to the page.
_PERSONAL_HEADERS = {"set-cookie", "vary"}


class PageCacheMiddleware:
    """Serve and store anonymous visitors' pages (see the module docstring). Placed near the
    top, so a hit skips sessions, languages, CSRF, authentication and messages entirely."""

    def __init__(self, get_response):
        self.get_response = get_response

    @property
    def store(self):
        return caches[settings.PAGE_CACHE["STORE"]]

    def __call__(self, request):
        if not is_anonymous_visit(request):
            return self.get_response(request)
        key = _key(request)
        entry = self.store.get(key)
        if entry is not None:
            sequence, tags, status, headers, body, etag = pickle.loads(entry)
            if registry().newest(tags) <= sequence:
                return _answer(request, status, headers, body, etag)
        sequence = registry().sequence()  # before rendering: a change meanwhile wins
        response = self.get_response(request)
        tags = getattr(response, "page_cache_tags", None)
        if (tags and response.status_code == 200 and not response.cookies
                and not response.streaming and is_anonymous_visit(request)):
            body = response.content
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers = [(name, value) for name, value in response.items()
                       if name.lower() not in _PERSONAL_HEADERS]
            headers += [("ETag", etag), ("Cache-Control", "public, no-cache")]
            self.store.set(key, pickle.dumps(
                (sequence, tags, response.status_code, headers, body, etag)
            ), timeout=settings.PAGE_CACHE["TIMEOUT"])
            response["ETag"] = etag
            response["Cache-Control"] = "public, no-cache"
            if response.has_header("Vary"):
                del response["Vary"]
        return response


def _answer(request, status: int, headers, body: bytes, etag: str):
    if etag and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "public, no-cache"
        return response
    response = HttpResponse(b"" if request.method == "HEAD" else body, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    return response


# --- CSRF for pages served from the cache ------------------------------------------------------


def csrf_protect_with_session(view):
    """CSRF protection for a form that cached pages show (add to cart). A cached page holds
    no token (tokens are per visitor), so a visitor without a session posts without one: they
    have no cart, account or message a forged request could touch. Their browser's Origin
    header must still be this site (another site cannot fill a stranger's new cart). With a
    session, Django's check applies as everywhere."""
    from functools import wraps

    from django.middleware.csrf import REASON_BAD_ORIGIN, CsrfViewMiddleware
    from django.views.decorators.csrf import csrf_exempt

    checker = CsrfViewMiddleware(lambda request: None)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            refused = checker.process_view(request, view, args, kwargs)
            if refused is not None:
                return refused
        elif "HTTP_ORIGIN" in request.META and not checker._origin_verified(request):
            # Django's own origin rule (its private helper: the same check its middleware
            # makes), without the token part.
            return checker._reject(request, REASON_BAD_ORIGIN % request.META["HTTP_ORIGIN"])
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
