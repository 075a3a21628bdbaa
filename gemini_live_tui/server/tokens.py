"""One-time session tokens and the per-address rate limit of ``POST /api/auth``.

A browser gets a token from ``/api/auth`` and spends it on ``/ws?token=...``.  A token is
valid for ``ttl`` seconds and for one connection only: :meth:`TokenStore.consume` is
atomic, so two connections racing with the same token cannot both win, even when they
reach different ``serve`` processes that share a Redis store.

Two stores implement :class:`TokenStore`:

* :class:`MemoryTokenStore` for one process (the default);
* :class:`RedisTokenStore` for many processes behind a load balancer.  It consumes with
  ``GETDEL`` (one atomic command) and counts auth requests with a small Lua script, so the
  count and its expiry are set together.

Tokens are random 256-bit values; the stores keep only their SHA-256 digests, so a memory
dump or a Redis ``MONITOR`` does not hand out usable tokens.  The clock is injected, so
expiry is testable without waiting; the Redis store also sets a server-side expiry so
forgotten tokens do not pile up.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from gemini_live_tui.errors import ConfigError, LiveError

__all__ = [
    "MemoryTokenStore",
    "RedisTokenStore",
    "TokenStore",
    "TokenStoreError",
    "open_token_store",
]

Clock = Callable[[], float]


class TokenStoreError(LiveError):
    """The token store cannot be reached or answered nonsense."""


@runtime_checkable
class TokenStore(Protocol):
    """Where one-time tokens and auth request counts live."""

    async def issue(self) -> str:
        """Create a new token valid for the store's ttl and return it."""
        ...

    async def consume(self, token: str) -> bool:
        """Spend a token: True once for a valid unexpired token, False ever after."""
        ...

    async def allow(self, address: str) -> bool:
        """Count one auth request from ``address``; False once it is over the limit."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class MemoryTokenStore:
    """Tokens in this process's memory.

    Args:
        ttl: seconds a token is valid.
        rate_limit: auth requests allowed per address and window.
        rate_window: the window length in seconds (fixed windows aligned to the clock).
        clock: monotonic seconds; injected by tests.
    """

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        rate_limit: int = 30,
        rate_window: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._rate_limit = rate_limit
        self._rate_window = rate_window
        self._clock = clock
        self._deadlines: dict[str, float] = {}
        self._counts: dict[str, tuple[int, int]] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenStore(ttl={self._ttl}, live_tokens={len(self._deadlines)})"

    async def issue(self) -> str:
        now = self._clock()
        self._prune(now)
        token = _new_token()
        self._deadlines[_digest(token)] = now + self._ttl
        return token

    async def consume(self, token: str) -> bool:
        # pop() makes the check-and-delete one step: the event loop cannot switch between them.
        deadline = self._deadlines.pop(_digest(token), None)
        return deadline is not None and self._clock() < deadline

    async def allow(self, address: str) -> bool:
        window = math.floor(self._clock() / self._rate_window)
        current_window, count = self._counts.get(address, (window, 0))
        if current_window != window:
            count = 0
        count += 1
        self._counts[address] = (window, count)
        if len(self._counts) > 10_000:
            # Many addresses: forget those from older windows so memory stays bounded.
            self._counts = {a: wc for a, wc in self._counts.items() if wc[0] == window}
        return count <= self._rate_limit

    async def close(self) -> None:
        self._deadlines.clear()

    def _prune(self, now: float) -> None:
        if len(self._deadlines) > 1000:
            self._deadlines = {d: t for d, t in self._deadlines.items() if t > now}


# KEYS[1] = counter key; ARGV[1] = window in milliseconds.  INCR and PEXPIRE run together,
# so a crash between them can never leave a counter without expiry.
_RATE_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisTokenStore:
    """Tokens in Redis, shared by every ``serve`` process using the same URL.

    The value stored under a token's digest is its deadline on ``clock`` (wall time by
    default, which machines share); Redis also expires the key a little after it, only to
    collect garbage.

    Args:
        url: ``redis://host:port/db`` (or ``rediss://``, ``unix://``).
        ttl: seconds a token is valid.
        rate_limit: auth requests allowed per address and window.
        rate_window: the window length in seconds.
        clock: wall-clock seconds; injected by tests.
        prefix: key prefix, so several deployments can share one Redis.
        client: an existing ``redis.asyncio.Redis`` (tests); otherwise one is made from ``url``.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 30.0,
        rate_limit: int = 30,
        rate_window: float = 60.0,
        clock: Clock = time.time,
        prefix: str = "gemini-live:",
        client: Any = None,
    ) -> None:
        if client is None:
            try:
                import redis.asyncio as redis_asyncio
            except ImportError as exc:  # pragma: no cover - the server extra installs redis
                raise ConfigError(
                    "TOKEN_STORE_URL: redis:// needs the redis package (pip install "
                    "'gemini-live[server]')"
                ) from exc
            try:
                # Short timeouts: a stuck store must fail a request, not hang it.
                client = redis_asyncio.Redis.from_url(
                    url, socket_connect_timeout=2.0, socket_timeout=2.0
                )
            except ValueError as exc:
                raise ConfigError(f"TOKEN_STORE_URL: not a Redis URL ({exc})") from None
        self._redis = client
        self._ttl = ttl
        self._rate_limit = rate_limit
        self._rate_window = rate_window
        self._clock = clock
        self._prefix = prefix
        self._rate_script = self._redis.register_script(_RATE_SCRIPT)

    def __repr__(self) -> str:
        # The URL may hold a password, so it is not shown.
        return f"RedisTokenStore(ttl={self._ttl}, prefix={self._prefix!r})"

    async def issue(self) -> str:
        token = _new_token()
        deadline = self._clock() + self._ttl
        expire_ms = int(self._ttl * 1000) + 5000
        try:
            await self._redis.set(
                f"{self._prefix}token:{_digest(token)}", repr(deadline), px=expire_ms
            )
        except Exception as exc:  # redis errors and OSError alike
            raise TokenStoreError(f"token store: cannot save token ({type(exc).__name__})") from exc
        return token

    async def consume(self, token: str) -> bool:
        try:
            # GETDEL reads and deletes in one command: of two racing consumers one gets None.
            raw = await self._redis.getdel(f"{self._prefix}token:{_digest(token)}")
        except Exception as exc:
            raise TokenStoreError(
                f"token store: cannot check token ({type(exc).__name__})"
            ) from exc
        if raw is None:
            return False
        try:
            deadline = float(raw)
        except (TypeError, ValueError):
            return False
        return self._clock() < deadline

    async def allow(self, address: str) -> bool:
        window = math.floor(self._clock() / self._rate_window)
        key = f"{self._prefix}auth:{address}:{window}"
        try:
            count = await self._rate_script(keys=[key], args=[int(self._rate_window * 1000)])
        except Exception as exc:
            raise TokenStoreError(
                f"token store: cannot count auth requests ({type(exc).__name__})"
            ) from exc
        return int(count) <= self._rate_limit

    async def ping(self) -> None:
        """Check the connection; raises :class:`TokenStoreError` if Redis is unreachable."""
        try:
            await self._redis.ping()
        except Exception as exc:
            raise TokenStoreError(f"token store: Redis unreachable ({type(exc).__name__})") from exc

    async def close(self) -> None:
        await self._redis.aclose()


def open_token_store(
    url: str,
    *,
    ttl: float,
    rate_limit: int,
    rate_window: float,
) -> TokenStore:
    """The store a ``TOKEN_STORE_URL`` names (``memory://`` or a Redis URL)."""
    if url.startswith("memory://"):
        return MemoryTokenStore(ttl=ttl, rate_limit=rate_limit, rate_window=rate_window)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisTokenStore(url, ttl=ttl, rate_limit=rate_limit, rate_window=rate_window)
    raise ConfigError("TOKEN_STORE_URL: must start with memory://, redis:// or rediss://")
