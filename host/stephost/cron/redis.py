"""Redis cron slots: one run per slot across every host on one Redis.

A claim is `SET cron:<step>:<slot> NX` and the host that set it runs the slot.
The slot key expires after `SLOT_TTL_S`: hosts only claim slots around their own
"now", so a key is needed for about as long as clocks can disagree, and days
cover that with room to spare. The latest claims of a step are kept in a sorted
set `cron_claimed:<step>` (member: slot, score: Unix seconds), trimmed like the
SQLite table, to answer `last_claimed` after a restart.

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


def slot_name(slot: datetime) -> str:
    """The slot in UTC, ISO 8601 basic format: fixed width and no ':', so it is always
    the last part of the key whatever the step is called, and one instant is one name
    whatever zone the datetime was given in (as in SQLite, which keys on Unix seconds)."""
    return slot.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


class RedisCronSlots:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._claim = link.client.register_script(_CLAIM)

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

    async def close(self) -> None:
        """Nothing to release: the host owns the link."""
