"""Telegram's limits as token buckets: about 30 messages a second overall, 1 a second per chat.

A limiter answers one question, "may I send to this chat now, and if not, how long until I
may?", and takes a token from both buckets only when both have one. A 429 from the Bot API
(``retry_after``) pauses every chat for that long: Telegram's flood control is per bot.

Two implementations share the algorithm:

* :class:`MemoryLimiter` for one process (the default, and what tests use with a fake clock);
* :class:`RedisLimiter` when several processes send through the same bot token (for example
  the bot's own replies on another instance, or a new leader taking over while the old one
  drains): the buckets live in Redis and one Lua script takes both tokens atomically.

Both take the clock as an argument so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Clock = Callable[[], float]
# a bucket within a billionth of a token is full enough (float rounding must not spin), and
# nobody is told to wait less than a millisecond
_EPSILON = 1e-9
_MIN_WAIT = 0.001


@dataclass(frozen=True)
class Limits:
    overall: float = 30.0  # messages per second
    per_chat: float = 1.0
    burst_seconds: float = 0.2  # the overall bucket holds this many seconds of tokens

    @property
    def overall_capacity(self) -> float:
        return max(1.0, self.overall * self.burst_seconds)

    @property
    def chat_capacity(self) -> float:
        return 1.0


class Limiter(Protocol):
    limits: Limits

    async def try_acquire(self, chat: str) -> float:
        """Take a token for ``chat`` and return 0, or take nothing and return the seconds to
        wait before asking again."""
        ...

    async def pause(self, seconds: float) -> None:
        """Honour a ``retry_after``: nobody sends for ``seconds``."""
        ...


@dataclass
class _Bucket:
    tokens: float
    stamp: float

    def level(self, now: float, rate: float, capacity: float) -> float:
        return min(capacity, self.tokens + max(0.0, now - self.stamp) * rate)


@dataclass
class MemoryLimiter:
    """Token buckets in this process. Idle chats are forgotten once their bucket is full."""

    limits: Limits = field(default_factory=Limits)
    clock: Clock = time.monotonic
    _overall: _Bucket | None = None
    _chats: dict[str, _Bucket] = field(default_factory=dict)
    _paused_until: float = 0.0

    async def try_acquire(self, chat: str) -> float:
        now = self.clock()
        if now < self._paused_until:
            return self._paused_until - now
        limits = self.limits
        overall = self._overall or _Bucket(limits.overall_capacity, now)
        bucket = self._chats.get(chat) or _Bucket(limits.chat_capacity, now)
        have_all = overall.level(now, limits.overall, limits.overall_capacity)
        have_chat = bucket.level(now, limits.per_chat, limits.chat_capacity)
        wait = 0.0
        if have_all < 1 - _EPSILON:
            wait = max(wait, (1 - have_all) / limits.overall)
        if have_chat < 1 - _EPSILON:
            wait = max(wait, (1 - have_chat) / limits.per_chat)
        if wait > 0:
            return max(wait, _MIN_WAIT)
        self._overall = _Bucket(max(0.0, have_all - 1), now)
        self._chats[chat] = _Bucket(max(0.0, have_chat - 1), now)
        if len(self._chats) > 10_000:
            self._forget(now)
        return 0.0

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + max(0.0, seconds))

    def _forget(self, now: float) -> None:
        limits = self.limits
        self._chats = {
            chat: b
            for chat, b in self._chats.items()
            if b.level(now, limits.per_chat, limits.chat_capacity) < limits.chat_capacity
        }


_ACQUIRE = """
local now = tonumber(ARGV[1])
local rate_all, cap_all = tonumber(ARGV[2]), tonumber(ARGV[3])
local rate_chat, cap_chat = tonumber(ARGV[4]), tonumber(ARGV[5])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return tostring(paused - now) end
local function level(key, rate, cap)
  local v = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens = tonumber(v[1]) or cap
  local stamp = tonumber(v[2]) or now
  return math.min(cap, tokens + math.max(0, now - stamp) * rate)
end
local have_all = level(KEYS[1], rate_all, cap_all)
local have_chat = level(KEYS[2], rate_chat, cap_chat)
local wait = 0
if have_all < 1 - 1e-9 then wait = math.max(wait, (1 - have_all) / rate_all) end
if have_chat < 1 - 1e-9 then wait = math.max(wait, (1 - have_chat) / rate_chat) end
if wait > 0 then return tostring(math.max(wait, 0.001)) end
redis.call('HSET', KEYS[1], 'tokens', tostring(math.max(0, have_all - 1)), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap_all / rate_all * 1000) + 60000)
redis.call('HSET', KEYS[2], 'tokens', tostring(math.max(0, have_chat - 1)), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[2], math.ceil(cap_chat / rate_chat * 1000) + 1000)
return '0'
"""

_PAUSE = """
local now, seconds = tonumber(ARGV[1]), tonumber(ARGV[2])
local until_ = now + seconds
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(seconds * 1000) + 1000)
end
return 1
"""


@dataclass
class RedisLimiter:
    """The same buckets in Redis, shared by every process that sends with one bot token.

    ``redis`` is a ``redis.asyncio.Redis`` client; the clock is wall time (``time.time``) so
    processes on different hosts agree to within their clock skew, which is far below the
    one-second granularity that matters here.
    """

    redis: Any
    limits: Limits = field(default_factory=Limits)
    prefix: str = "cchc:limiter"
    clock: Clock = time.time
    _acquire: Any = None
    _pause: Any = None

    def __post_init__(self) -> None:
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._pause = self.redis.register_script(_PAUSE)

    async def try_acquire(self, chat: str) -> float:
        limits = self.limits
        keys = [f"{self.prefix}:all", f"{self.prefix}:chat:{chat}", f"{self.prefix}:pause"]
        args = [
            repr(self.clock()),
            repr(limits.overall),
            repr(limits.overall_capacity),
            repr(limits.per_chat),
            repr(limits.chat_capacity),
        ]
        answer = await self._acquire(keys=keys, args=args)
        return float(answer.decode() if isinstance(answer, bytes) else answer)

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{self.prefix}:pause"], args=[repr(self.clock()), repr(seconds)])
