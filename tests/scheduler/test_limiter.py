"""Token buckets: overall and per-chat limits, bursts, 429 pauses; in memory and in Redis."""

from __future__ import annotations

import uuid

import pytest

from scheduler.limiter import Limits, MemoryLimiter, RedisLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_overall_limit_with_a_small_burst() -> None:
    clock = Ticks()
    limiter = MemoryLimiter(Limits(overall=30, per_chat=1, burst_seconds=0.2), clock=clock)
    granted = [await limiter.try_acquire(f"chat{i}") for i in range(8)]
    assert granted[:6] == [0.0] * 6  # a burst of 30 × 0.2 = 6
    assert granted[6] == pytest.approx(1 / 30)
    clock.now += 1 / 30
    assert await limiter.try_acquire("chat6") == 0.0


async def test_one_message_a_second_per_chat() -> None:
    clock = Ticks()
    limiter = MemoryLimiter(Limits(overall=30, per_chat=1), clock=clock)
    assert await limiter.try_acquire("a") == 0.0
    assert await limiter.try_acquire("a") == pytest.approx(1.0)
    assert await limiter.try_acquire("b") == 0.0  # another chat is not held up
    clock.now += 0.5
    assert await limiter.try_acquire("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert await limiter.try_acquire("a") == 0.0


async def test_a_429_pauses_every_chat() -> None:
    clock = Ticks()
    limiter = MemoryLimiter(Limits(overall=30, per_chat=1), clock=clock)
    await limiter.pause(5)
    assert await limiter.try_acquire("a") == pytest.approx(5)
    await limiter.pause(2)  # a shorter pause does not cut the longer one
    clock.now += 4.5
    assert await limiter.try_acquire("b") == pytest.approx(0.5)
    clock.now += 0.5
    assert await limiter.try_acquire("b") == 0.0


@pytest.fixture
async def redis_client():
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        await client.ping()
    except (RedisDown, OSError):
        await client.aclose()
        pytest.skip("Redis is not running on 127.0.0.1:6379; the Redis limiter needs one")
    yield client
    await client.aclose()


async def test_the_redis_limiter_shares_the_buckets_between_processes(redis_client) -> None:
    clock = Ticks()
    prefix = f"cchc:test:{uuid.uuid4().hex}"
    limits = Limits(overall=2, per_chat=1, burst_seconds=1)
    one = RedisLimiter(redis_client, limits, prefix=prefix, clock=clock)
    two = RedisLimiter(redis_client, limits, prefix=prefix, clock=clock)
    try:
        assert await one.try_acquire("a") == 0.0
        assert await two.try_acquire("a") == pytest.approx(1.0)  # same chat, other process
        assert await two.try_acquire("b") == 0.0
        assert await one.try_acquire("c") == pytest.approx(0.5)  # overall 2/s used up
        clock.now += 0.5
        assert await one.try_acquire("c") == 0.0
        await two.pause(3)
        assert await one.try_acquire("d") == pytest.approx(3.0)
        clock.now += 3
        assert await one.try_acquire("d") == 0.0
    finally:
        keys = [k async for k in redis_client.scan_iter(f"{prefix}:*")]
        if keys:
            await redis_client.delete(*keys)
