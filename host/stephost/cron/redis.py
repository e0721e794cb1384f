"""Redis cron slots: one run per slot across every host on one Redis.

A claim is `SET cron:<step>:<slot> NX` and the host that set it runs the slot.
The slot key expires after `SLOT_TTL_S`: hosts only claim slots around their own
"now", so a key is needed for about as long as clocks can disagree, and days
cover that with room to spare. The latest claims of a step are kept in a sorted
set `cron_claimed:<step>` (member: slot, score: Unix seconds), trimmed like the
SQLite table, to answer `last_claimed` after a restart.

While a run is going, `cron_run:<step>` holds its id (SET NX PX, leased for the
run's timeout): no host starts another run of the step until it is released or lapses.

Claim and history are one Lua script, so a host that dies mid-claim leaves both
or neither. The claim stores a token unique to the call: the link retries a
command whose reply was lost to a dropped connection, and the retry must still
see its own win rather than report the slot as taken by someone else (the slot
would then run nowhere).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from stephost.cron.sqlite import KEEP_PER_STEP
from stephost.redis_link import RedisLink

SLOT_TTL_S = 7 * 24 * 3600

# KEYS: slot, history. ARGV: token, ttl, score, member, keep. Returns 1 to the winner.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[5]) - 1)
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
"""


# KEYS: run lock. ARGV: run id, lease ms. Taken when free or already ours (a retried command).
_BEGIN_RUN = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
"""

# KEYS: run lock. ARGV: run id. Only the holder releases: a lapsed lease may belong to another run now.
_END_RUN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def slot_name(slot: datetime) -> str:
    """The slot in UTC, ISO 8601 basic format: fixed width and no ':', so it is always
    the last part of the key whatever the step is called, and one instant is one name
    whatever zone the datetime was given in (as in SQLite, which keys on Unix seconds)."""
    return slot.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


class RedisCronSlots:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._claim = link.script(_CLAIM)
        self._begin_run = link.script(_BEGIN_RUN)
        self._end_run = link.script(_END_RUN)

    async def claim(self, step: str, slot: datetime) -> bool:
        name = slot_name(slot)
        keys = [self._link.key("cron", step, name), self._link.key("cron_claimed", step)]
        args: list[str | int | float] = [uuid.uuid4().hex, SLOT_TTL_S, slot.timestamp(), name, KEEP_PER_STEP]
        async with self._link.guard(f"cron claim {step} at {slot.isoformat()}"):
            return bool(await self._claim(keys=keys, args=args))

    async def last_claimed(self, step: str) -> datetime | None:
        async with self._link.guard(f"cron last_claimed {step}"):
            latest = await self._link.client.zrange(self._link.key("cron_claimed", step), -1, -1, withscores=True)
        return datetime.fromtimestamp(float(latest[0][1]), UTC) if latest else None

    async def begin_run(self, step: str, run_id: str, lease_s: float) -> bool:
        """The run lock is `cron_run:<step>` holding the run id, expiring with the lease."""
        keys = [self._link.key("cron_run", step)]
        async with self._link.guard(f"cron begin_run {step}"):
            return bool(await self._begin_run(keys=keys, args=[run_id, max(1, int(lease_s * 1000))]))

    async def end_run(self, step: str, run_id: str) -> None:
        async with self._link.guard(f"cron end_run {step}"):
            await self._end_run(keys=[self._link.key("cron_run", step)], args=[run_id])

    async def close(self) -> None:
        """Nothing to release: the host owns the link."""
