"""Redis state store: state shared by every host on one Redis.

A group is one hash (key -> compact JSON), so reading a group reads that one key
and never SCANs the keyspace. A hash forgets the order its fields came in, and
the contract promises insertion order, so each group has a companion sorted set
(key -> sequence number). Every write touches both in one Lua script: a caller
on any host sees both changed or neither, never a value without its place.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from stephost.redis_link import RedisLink

# KEYS: hash, order. ARGV: field, value. Returns 1 when the field is new.
# A new field goes after the current last one; an update keeps its place.
_PUT = """
local created = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if created == 1 then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[2], (tonumber(last[2]) or 0) + 1, ARGV[1])
end
return created
"""

# KEYS: hash, order. ARGV: field. Returns the old value, or nil.
_TAKE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return old
"""

# KEYS: hash, order. Returns the values in order. HGET one field at a time rather
# than HMGET with unpack(), which fails past a few thousand fields.
_VALUES = """
local fields = redis.call('ZRANGE', KEYS[2], 0, -1)
local values = {}
for i, field in ipairs(fields) do
  values[i] = redis.call('HGET', KEYS[1], field)
end
return values
"""

HashKeys = tuple[str, str]
"""A hash and the sorted set that keeps its fields' creation order."""


def encode(value: Any) -> str:
    """Compact JSON, as the SQLite stores write it."""
    return json.dumps(value, separators=(",", ":"))


class OrderedHashes:
    """Hashes that remember the order their fields were created in (state groups, stream groups).

    Callers wrap each call in `RedisLink.guard`, naming their own operation.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._put = client.register_script(_PUT)
        self._take = client.register_script(_TAKE)
        self._values = client.register_script(_VALUES)

    async def put(self, keys: HashKeys, field: str, value: str) -> bool:
        """Store the field; True when it did not exist before."""
        return bool(await self._put(keys=keys, args=[field, value]))

    async def take(self, keys: HashKeys, field: str) -> str | None:
        """Remove the field; its old value, or None."""
        old = await self._take(keys=keys, args=[field])
        return None if old is None else str(old)

    async def values(self, keys: HashKeys) -> list[str]:
        """Every value, oldest field first."""
        return [str(v) for v in await self._values(keys=keys)]


class RedisStateStore:
    """State in Redis under the link's prefix: `state:<group>` (hash) and `state_order:<group>` (zset).

    The group is the last part of both keys and the two structures have different
    names, so no group (even one containing ':') can reach another group's keys.
    """

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._hashes = OrderedHashes(link.client)

    def _keys(self, group: str) -> HashKeys:
        return self._link.key("state", group), self._link.key("state_order", group)

    async def get(self, group: str, key: str) -> Any | None:
        async with self._link.guard(f"state get {group}/{key}"):
            raw = await self._link.client.hget(self._keys(group)[0], key)
        return None if raw is None else json.loads(raw)

    async def set(self, group: str, key: str, value: Any) -> Any:
        encoded = encode(value)
        async with self._link.guard(f"state set {group}/{key}"):
            await self._hashes.put(self._keys(group), key, encoded)
        return value

    async def delete(self, group: str, key: str) -> Any | None:
        async with self._link.guard(f"state delete {group}/{key}"):
            old = await self._hashes.take(self._keys(group), key)
        return None if old is None else json.loads(old)

    async def get_group(self, group: str) -> list[Any]:
        async with self._link.guard(f"state get_group {group}"):
            values = await self._hashes.values(self._keys(group))
        return [json.loads(v) for v in values]

    async def clear(self, group: str) -> None:
        async with self._link.guard(f"state clear {group}"):
            await self._link.client.delete(*self._keys(group))

    async def close(self) -> None:
        """Nothing to release: the host owns the link."""
