"""Redis state store: state shared by every host on one Redis.

A group is one hash (key -> compact JSON), so reading a group reads that one key
and never SCANs the keyspace. A hash forgets the order its fields came in, and
the contract promises insertion order, so each group has a companion sorted set
(key -> sequence number). Every write touches both in one Lua script: a caller
on any host sees both changed or neither, never a value without its place.

The Workbench lists groups. Rather than SCAN the keyspace per listing, the store
keeps a set `state_groups` of the groups that hold a key, updated by the same
scripts that write the group, so it never names an empty group nor misses one.
"""

from __future__ import annotations

from typing import Any

from stephost import json_codec
from stephost.redis_link import RedisLink

# KEYS: hash, order[, index]. ARGV: field, value[, member]. Returns 1 when the field is new.
# A new field goes after the current last one; an update keeps its place. With an index set,
# the hash's name goes in it on every write (SADD is idempotent), which also lists a group
# written before the index existed.
_PUT = """
local created = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if created == 1 then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[2], (tonumber(last[2]) or 0) + 1, ARGV[1])
end
if KEYS[3] then
  redis.call('SADD', KEYS[3], ARGV[3])
end
return created
"""

# KEYS: hash, order[, index]. ARGV: field[, member]. Returns the old value, or nil.
# Redis drops a hash with its last field; the index drops its name in the same step.
_TAKE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  if KEYS[3] and redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SREM', KEYS[3], ARGV[2])
  end
end
return old
"""

# KEYS: hash, order[, index]. ARGV: [member].
_DROP = """
redis.call('DEL', KEYS[1], KEYS[2])
if KEYS[3] then
  redis.call('SREM', KEYS[3], ARGV[1])
end
return 0
"""

# KEYS: index, hash... ARGV: member... (one per hash). Indexes the hashes that exist; one
# check and add per hash, so a group emptied meanwhile is not listed again.
_INDEX = """
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('SADD', KEYS[1], ARGV[i - 1])
  end
end
return 0
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

# KEYS: hash, order. Returns field, value, field, value... in order.
_ENTRIES = """
local fields = redis.call('ZRANGE', KEYS[2], 0, -1)
local entries = {}
for i, field in ipairs(fields) do
  entries[2 * i - 1] = field
  entries[2 * i] = redis.call('HGET', KEYS[1], field)
end
return entries
"""

INDEX_BATCH = 500

HashKeys = tuple[str, str]
"""A hash and the sorted set that keeps its fields' creation order."""

IndexEntry = tuple[str, str]
"""A set listing non-empty hashes, and this hash's name in it."""


def encode(value: Any) -> str:
    """Compact JSON, as the SQLite stores write it."""
    return json_codec.dumps_text(value)


def glob_escape(text: str) -> str:
    """`text` as a literal inside a SCAN MATCH pattern (a prefix may hold '*', '?' or '[')."""
    return "".join("\\" + c if c in "\\*?[]" else c for c in text)


class OrderedHashes:
    """Hashes that remember the order their fields were created in (state groups, stream groups).

    Callers wrap each call in `RedisLink.guard`, naming their own operation.
    """

    def __init__(self, link: RedisLink) -> None:
        self._put = link.script(_PUT)
        self._take = link.script(_TAKE)
        self._values = link.script(_VALUES)
        self._entries = link.script(_ENTRIES)
        self._drop = link.script(_DROP)
        self._index = link.script(_INDEX)

    async def put(self, keys: HashKeys, field: str, value: str, index: IndexEntry | None = None) -> bool:
        """Store the field, and list the hash in `index`; True when the field did not exist before."""
        if index is None:
            return bool(await self._put(keys=keys, args=[field, value]))
        return bool(await self._put(keys=[*keys, index[0]], args=[field, value, index[1]]))

    async def take(self, keys: HashKeys, field: str, index: IndexEntry | None = None) -> str | None:
        """Remove the field, and the hash from `index` once it is empty; its old value, or None."""
        if index is None:
            old = await self._take(keys=keys, args=[field])
        else:
            old = await self._take(keys=[*keys, index[0]], args=[field, index[1]])
        return None if old is None else str(old)

    async def drop(self, keys: HashKeys, index: IndexEntry | None = None) -> None:
        """Remove the hash and its order, and the hash from `index`."""
        if index is None:
            await self._drop(keys=keys, args=[])
        else:
            await self._drop(keys=[*keys, index[0]], args=[index[1]])

    async def values(self, keys: HashKeys) -> list[str]:
        """Every value, oldest field first."""
        return [str(v) for v in await self._values(keys=keys)]

    async def entries(self, keys: HashKeys) -> list[tuple[str, str]]:
        """Every (field, value), oldest field first."""
        flat = [str(x) for x in await self._entries(keys=keys)]
        return list(zip(flat[0::2], flat[1::2], strict=True))

    async def index_existing(self, index: str, hashes: list[tuple[str, str]]) -> None:
        """Add to `index` each (hash key, name) whose hash exists."""
        for start in range(0, len(hashes), INDEX_BATCH):
            batch = hashes[start : start + INDEX_BATCH]
            await self._index(keys=[index, *(k for k, _ in batch)], args=[name for _, name in batch])


class RedisStateStore:
    """State in Redis under the link's prefix: `state:<group>` (hash) and `state_order:<group>` (zset).

    The group is the last part of both keys and the two structures have different
    names, so no group (even one containing ':') can reach another group's keys.
    """

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._hashes = OrderedHashes(link)
        self._index_key = link.key("state_groups")
        self._backfilled = False

    def _keys(self, group: str) -> HashKeys:
        return self._link.key("state", group), self._link.key("state_order", group)

    def _index(self, group: str) -> IndexEntry:
        return self._index_key, group

    async def get(self, group: str, key: str) -> Any | None:
        async with self._link.guard(f"state get {group}/{key}"):
            raw = await self._link.commands.execute("HGET", self._keys(group)[0], key)
        return None if raw is None else json_codec.loads(raw)

    async def set(self, group: str, key: str, value: Any) -> Any:
        encoded = encode(value)
        async with self._link.guard(f"state set {group}/{key}"):
            await self._hashes.put(self._keys(group), key, encoded, self._index(group))
        return value

    async def delete(self, group: str, key: str) -> Any | None:
        async with self._link.guard(f"state delete {group}/{key}"):
            old = await self._hashes.take(self._keys(group), key, self._index(group))
        return None if old is None else json_codec.loads(old)

    async def get_group(self, group: str) -> list[Any]:
        async with self._link.guard(f"state get_group {group}"):
            values = await self._hashes.values(self._keys(group))
        return [json_codec.loads(v) for v in values]

    async def items(self, group: str) -> list[tuple[str, Any]]:
        async with self._link.guard(f"state items {group}"):
            entries = await self._hashes.entries(self._keys(group))
        return [(key, json_codec.loads(v)) for key, v in entries]

    async def groups(self) -> list[str]:
        async with self._link.guard("state groups"):
            if not self._backfilled:
                await self._backfill()
                self._backfilled = True
            names = await self._link.client.smembers(self._index_key)
        return sorted(str(n) for n in names)

    async def _backfill(self) -> None:
        """List groups written before `state_groups` existed: one SCAN per store, not per call."""
        base = self._link.key("state", "")
        keys = self._link.client.scan_iter(match=glob_escape(base) + "*", count=1000)
        found = [(k, k[len(base) :]) async for k in keys]
        await self._hashes.index_existing(self._index_key, found)

    async def clear(self, group: str) -> None:
        async with self._link.guard(f"state clear {group}"):
            await self._hashes.drop(self._keys(group), self._index(group))

    async def close(self) -> None:
        """Nothing to release: the host owns the link."""
