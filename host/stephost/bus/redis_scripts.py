"""The Lua side of the Redis queue store: every change to a step's queue is one script.

A script runs alone on the server, so each one is atomic for every host at once:
two hosts claiming together never get the same delivery, a retry is never half
moved, a delayed delivery is promoted once. Writing scripts start with `#!lua`
(Redis 7): Redis then refuses them up front when it is out of memory, rather
than after their first writes, so an enqueue stores every copy or none.

Shapes shared by the scripts (keys are described in `redis.py`):

- a stream entry: id `<seq>-0` (one counter per prefix, so ids are unique across
  steps and ordered by enqueue across hosts), fields `a` attempt, `at` visible
  from (Unix seconds), `g` message group (absent when none), `d` the event JSON.
- a delayed member: JSON `[seq16, attempt, group|false, event JSON]`; the score
  is when it is due, and equal scores sort by the zero-padded seq, oldest first.
- FIFO: `queued` holds `<len>:<group>:<seq16>` (score 0, so a lexical range is one
  group in emit order); `ready`/`due` hold one candidate per idle group head or
  ungrouped entry (`g:<group>` or `i:<id>`) scored by seq and by due time;
  `leases` holds running ids scored by lease end on the Redis clock; `meta` holds
  JSON per running or retried id: `a` attempt, `at` due, `k` candidate, `o` owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from stephost.redis_link import RedisLink
from stephost.redis_pipeline import PipelinedScript

GROUP = "stephost"
"""The one consumer group of every step stream."""

_PRELUDE = """
local GROUP = 'stephost'

local function fields(entry)
  local f, kv = {}, entry[2]
  for i = 1, #kv, 2 do f[kv[i]] = kv[i + 1] end
  return f
end

local function read(stream, id)
  local r = redis.call('XRANGE', stream, id, id)
  if #r == 0 then return nil end
  return fields(r[1])
end

local function pairs_of(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function seq_of(id) return string.match(id, '^(%d+)') end
local function pad(seq) return string.rep('0', 16 - #seq) .. seq end
local function unpad(seq16) return (string.gsub(seq16, '^0+', '')) end

local function ensure_group(stream)
  redis.pcall('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM')  -- BUSYGROUP when it exists
end

local function add(stream, seqkey, attempt, at, group, data)
  local id = string.format('%d', redis.call('INCR', seqkey)) .. '-0'
  if group then
    redis.call('XADD', stream, id, 'a', attempt, 'at', at, 'g', group, 'd', data)
  else
    redis.call('XADD', stream, id, 'a', attempt, 'at', at, 'd', data)
  end
  return id
end

local function group_prefix(group) return #group .. ':' .. group .. ':' end

-- The oldest queued entry of a FIFO group: its id and seq, or nil.
local function group_head(queued, group)
  local p = group_prefix(group)
  local first = redis.call('ZRANGEBYLEX', queued, '[' .. p, '(' .. #group .. ':' .. group .. ';', 'LIMIT', 0, 1)
  if #first == 0 then return nil end
  local seq = unpad(string.sub(first[1], #p + 1))
  return seq .. '-0', seq
end

local function redis_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A claim repeated after its reply was lost (the link retries on a dropped
-- connection) returns what the first one took instead of taking more.
local function replayed(reply, token)
  local last = redis.call('GET', reply)
  if not last then return nil end
  local bar = string.find(last, '|', 1, true)
  if string.sub(last, 1, bar - 1) ~= token then return nil end
  local ids = {}
  for id in string.gmatch(string.sub(last, bar + 1), '[^,]+') do ids[#ids + 1] = id end
  return ids
end

local function remember(reply, token, ids)
  if #ids > 0 then  -- an empty claim took nothing: repeating it takes only what is new
    redis.call('SET', reply, token .. '|' .. table.concat(ids, ','), 'EX', 60)
  end
end

local function rows(stream, meta, ids)
  local out = {}
  for _, id in ipairs(ids) do
    local f = read(stream, id)
    if f then
      local m = redis.call('HGET', meta, id)
      out[#out + 1] = {id, m and cjson.decode(m).a or f.a, f.d}
    end
  end
  return out
end

-- FIFO: running entries whose lease ended go back to being their group's idle head.
local function release_expired(leases, meta, ready, due, clock)
  local ids = redis.call('ZRANGEBYSCORE', leases, '-inf', clock)
  for _, id in ipairs(ids) do
    redis.call('ZREM', leases, id)
    local raw = redis.call('HGET', meta, id)
    if raw then
      local m = cjson.decode(raw)
      m.o = nil
      redis.call('HSET', meta, id, cjson.encode(m))
      redis.call('ZADD', ready, seq_of(id), m.k)
      redis.call('ZADD', due, m.at, m.k)
    end
  end
  return #ids
end
"""

# A step's queue type comes from its config, read at claim time: a step switched
# between standard and FIFO must not strand what the other kind left behind.
_ADOPT = """
-- Standard, taking over FIFO leftovers: idle entries go to the delayed set (due as they
-- were); running ones stay FIFO until finished or, once their lease ends, idle.
local function adopt_fifo(stream, delayed, queued, ready, due, leases, meta)
  if redis.call('ZCARD', queued) + redis.call('ZCARD', ready) + redis.call('ZCARD', leases) == 0 then return end
  release_expired(leases, meta, ready, due, redis_ms())
  local function move(id)
    local f, raw = read(stream, id), redis.call('HGET', meta, id)
    local m = raw and cjson.decode(raw) or {}
    if m.o then return false end
    if f then
      redis.call('ZADD', delayed, m.at or f.at, cjson.encode({pad(seq_of(id)), m.a or f.a, f.g or false, f.d}))
      redis.call('XDEL', stream, id)
    end
    redis.call('HDEL', meta, id)
    return true
  end
  for _, member in ipairs(redis.call('ZRANGE', queued, 0, -1)) do
    if move(unpad(string.match(member, '(%d+)$')) .. '-0') then redis.call('ZREM', queued, member) end
  end
  for _, candidate in ipairs(redis.call('ZRANGE', ready, 0, -1)) do
    if string.sub(candidate, 1, 2) == 'i:' then move(string.sub(candidate, 3)) end
  end
  redis.call('DEL', ready, due)
end

-- FIFO, taking over standard leftovers: delayed deliveries go back into the stream
-- (after what is there) to be filed by group; running ones finish as standard.
local function adopt_delayed(stream, delayed, seqkey)
  if redis.call('ZCARD', delayed) == 0 then return end
  local all = redis.call('ZRANGE', delayed, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    local m = cjson.decode(all[i])
    add(stream, seqkey, m[2], all[i + 1], m[3] or nil, m[4])
  end
  redis.call('DEL', delayed)
end
"""

# KEYS: seq, steps, stream per step. ARGV: event JSON, has group ('1'|'0'), group, then step, at per step.
_ENQUEUE = """
local data, group = ARGV[1], nil
if ARGV[2] == '1' then group = ARGV[3] end
for i = 3, #KEYS do
  local n = 4 + (i - 3) * 2
  add(KEYS[i], KEYS[1], '1', ARGV[n + 1], group, data)
  redis.call('SADD', KEYS[2], ARGV[n])
end
return #KEYS - 2
"""

# KEYS: stream, delayed, meta, reply, autoclaim cursor, seq, queued, ready, due, leases.
# ARGV: now, limit, lease ms, consumer, token. Returns {id, attempt, event JSON} rows.
_CLAIM_STANDARD = """
local stream, delayed, meta, reply, cursor, seqkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now, limit, me, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4], ARGV[5]
local again = replayed(reply, token)
if again then return rows(stream, meta, again) end
ensure_group(stream)
adopt_fifo(stream, delayed, KEYS[7], KEYS[8], KEYS[9], KEYS[10], meta)
local out, ids = {}, {}
local function take(id, f)
  out[#out + 1] = {id, f.a, f.d}
  ids[#ids + 1] = id
end

-- 1. Work whose lease ran out (a dead or stuck host's), resuming a shared scan of the PEL.
local claimed = redis.call('XAUTOCLAIM', stream, GROUP, me, ARGV[3], redis.call('GET', cursor) or '0-0',
                           'COUNT', limit)
redis.call('SET', cursor, claimed[1])
for _, e in ipairs(claimed[2]) do
  if e and e[2] then take(e[1], fields(e)) end
end

-- 2. Entries never read. One not yet visible by the claimer's clock (a queue delay,
-- or another host's clock ahead) is parked in the delayed set until it is due.
while #out < limit do
  local want = limit - #out
  local r = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', want, 'STREAMS', stream, '>')
  if not r then break end
  local entries = r[1][2]
  for _, e in ipairs(entries) do
    local id, f = e[1], fields(e)
    if tonumber(f.at) > now then
      redis.call('XACK', stream, GROUP, id)
      redis.call('XDEL', stream, id)
      redis.call('ZADD', delayed, f.at, cjson.encode({pad(seq_of(id)), f.a, f.g or false, f.d}))
    else
      take(id, f)
    end
  end
  if #entries < want then break end
end

-- 3. Delayed deliveries now due, earliest first: into the stream, and read at once.
-- Step 2 read every unread entry, so the read returns exactly the promoted ones.
if #out < limit then
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit - #out)
  if #due > 0 then
    for i = 1, #due, 2 do
      redis.call('ZREM', delayed, due[i])
      local m = cjson.decode(due[i])
      add(stream, seqkey, m[2], due[i + 1], m[3] or nil, m[4])
    end
    local r = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', #due / 2, 'STREAMS', stream, '>')
    for _, e in ipairs(r[1][2]) do take(e[1], fields(e)) end
  end
end
remember(reply, token, ids)
return out
"""

# KEYS: stream, queued, ready, due, leases, meta, reply, delayed, seq.
# ARGV: now, limit, lease ms, consumer, token. Returns {id, attempt, event JSON} rows.
_CLAIM_FIFO = """
local stream, queued, ready, due, leases, meta, reply = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now, limit, lease_ms, me, token = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local again = replayed(reply, token)
if again then return rows(stream, meta, again) end
ensure_group(stream)
adopt_delayed(stream, KEYS[8], KEYS[9])
local clock = redis_ms()
release_expired(leases, meta, ready, due, clock)

-- 1. File new entries under their group (read once, by whichever host comes first).
while true do
  local r = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', 1000, 'NOACK', 'STREAMS', stream, '>')
  if not r then break end
  local entries = r[1][2]
  for _, e in ipairs(entries) do
    local id, f = e[1], fields(e)
    local seq, candidate = seq_of(id), nil
    if f.g then
      if not group_head(queued, f.g) then candidate = 'g:' .. f.g end
      redis.call('ZADD', queued, 0, group_prefix(f.g) .. pad(seq))
    else
      candidate = 'i:' .. id
    end
    if candidate then
      redis.call('ZADD', ready, seq, candidate)
      redis.call('ZADD', due, f.at, candidate)
    end
  end
  if #entries < 1000 then break end
end

-- 2. Idle heads in emit order, taking those already due.
local out, ids = {}, {}
local visible = redis.call('ZCOUNT', due, '-inf', ARGV[1])
local from = '-inf'
while #out < limit and visible > 0 do
  local batch = redis.call('ZRANGEBYSCORE', ready, from, '+inf', 'WITHSCORES', 'LIMIT', 0, 200)
  if #batch == 0 then break end
  for i = 1, #batch, 2 do
    local candidate = batch[i]
    from = '(' .. batch[i + 1]
    local at = redis.call('ZSCORE', due, candidate)
    if at and tonumber(at) <= now then
      visible = visible - 1
      local id
      if string.sub(candidate, 1, 2) == 'i:' then id = string.sub(candidate, 3)
      else id = group_head(queued, string.sub(candidate, 3)) end
      redis.call('ZREM', ready, candidate)
      redis.call('ZREM', due, candidate)
      local f = id and read(stream, id)
      if f then
        local raw = redis.call('HGET', meta, id)
        local m = raw and cjson.decode(raw) or {a = f.a}
        m.at, m.k, m.o = at, candidate, me
        redis.call('HSET', meta, id, cjson.encode(m))
        redis.call('ZADD', leases, clock + lease_ms, id)
        out[#out + 1] = {id, m.a, f.d}
        ids[#ids + 1] = id
        if #out >= limit then break end
      end
    end
  end
end
remember(reply, token, ids)
return out
"""

# KEYS: stream, delayed, queued, ready, due, leases, meta, seq, dlq.
# ARGV: action (complete|retry|dead), id, consumer,
#   retry: next attempt, at; dead: step, attempts, failed at, code, message, stack.
# Only the delivery's current holder may finish it: a host whose lease was taken
# over gets 0 and changes nothing (the new holder's outcome counts).
_FINISH = """
local stream, delayed, queued, ready, due, leases, meta, seqkey, dlq =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local action, id, me = ARGV[1], ARGV[2], ARGV[3]

local function bury(f)
  local entry = {'step', ARGV[4], 'd', f.d, 'attempts', ARGV[5], 'failed_at', ARGV[6],
                 'code', ARGV[7], 'message', ARGV[8], 'stack', ARGV[9]}
  if f.g then entry[#entry + 1] = 'g'; entry[#entry + 1] = f.g end
  redis.call('XADD', dlq, '*', unpack(entry))
end

local raw = redis.call('HGET', meta, id)
if raw then  -- a FIFO delivery
  local m = cjson.decode(raw)
  if m.o ~= me then return 0 end
  redis.call('ZREM', leases, id)
  if action == 'retry' then  -- stays its group's head, and holds the group until due
    m.o, m.a, m.at = nil, ARGV[4], ARGV[5]
    redis.call('HSET', meta, id, cjson.encode(m))
    redis.call('ZADD', ready, seq_of(id), m.k)
    redis.call('ZADD', due, m.at, m.k)
    return 1
  end
  local f = read(stream, id)
  redis.call('HDEL', meta, id)
  redis.call('XDEL', stream, id)
  if f and action == 'dead' then bury(f) end
  if f and f.g then  -- the next of the group becomes its head
    redis.call('ZREM', queued, group_prefix(f.g) .. pad(seq_of(id)))
    local head, seq = group_head(queued, f.g)
    if head then
      local hm = redis.call('HGET', meta, head)
      local at = hm and cjson.decode(hm).at or (read(stream, head) or {at = '0'}).at
      redis.call('ZADD', ready, seq, 'g:' .. f.g)
      redis.call('ZADD', due, at, 'g:' .. f.g)
    end
  end
  return 1
end

if #redis.call('XPENDING', stream, GROUP, id, id, 1, me) == 0 then return 0 end
local f = read(stream, id)
redis.call('XACK', stream, GROUP, id)
redis.call('XDEL', stream, id)
if f and action == 'retry' then
  redis.call('ZADD', delayed, ARGV[5], cjson.encode({pad(seq_of(id)), ARGV[4], f.g or false, f.d}))
elseif f and action == 'dead' then
  bury(f)
end
return 1
"""

# KEYS: stream, delayed, due. Returns the earliest due time (as stored), or nil:
# the first entry no host has read yet, the earliest delayed one, the earliest FIFO head.
_NEXT_DUE = """
local best, best_s = nil, nil
local function consider(s)
  if s and (not best or tonumber(s) < best) then best, best_s = tonumber(s), s end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local start = '-'
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local info = pairs_of(g)
    if info['name'] == GROUP then start = '(' .. info['last-delivered-id'] end
  end
  local first = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1)
  if #first > 0 then consider(fields(first[1]).at) end
end
consider(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2])
consider(redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2])
return best_s
"""

# KEYS: dlq, stream, seq, steps. ARGV: dead letter id, now, step the caller read.
# Returns 1 when moved, 0 when unknown, -1 when its step is not the caller's (raced).
_REPLAY = """
local r = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #r == 0 then return 0 end
local f = fields(r[1])
if f.step ~= ARGV[3] then return -1 end
redis.call('XDEL', KEYS[1], ARGV[1])
add(KEYS[2], KEYS[3], '1', ARGV[2], f.g, f.d)
redis.call('SADD', KEYS[4], f.step)
return 1
"""

# KEYS: dlq. Returns how many dead letters were dropped.
_PURGE = """
local n = redis.call('XLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return n
"""

# KEYS: stream. ARGV: consumer name ('' for any), least idle ms.
# Drops consumers that hold nothing (pending 0): one that reads again is made anew,
# so this only keeps the group's consumer list from growing with every host start.
_FORGET_CONSUMERS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], GROUP)
if consumers.err then return 0 end
local dropped = 0
for _, c in ipairs(consumers) do
  local info = pairs_of(c)
  if info['pending'] == 0 and info['idle'] >= tonumber(ARGV[2]) and (ARGV[1] == '' or info['name'] == ARGV[1]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], GROUP, info['name'])
    dropped = dropped + 1
  end
end
return dropped
"""


def _script(link: RedisLink, body: str, *, writes: bool = True) -> PipelinedScript:
    shebang = "#!lua\n" if writes else "#!lua flags=no-writes\n"
    return link.script(shebang + _PRELUDE + body)


@dataclass(frozen=True)
class QueueScripts:
    """The queue's scripts, run through one link's command pipeline (loaded into Redis on first use)."""

    enqueue: PipelinedScript
    claim_standard: PipelinedScript
    claim_fifo: PipelinedScript
    finish: PipelinedScript
    next_due: PipelinedScript
    replay: PipelinedScript
    purge: PipelinedScript
    forget_consumers: PipelinedScript

    @classmethod
    def register(cls, link: RedisLink) -> QueueScripts:
        return cls(
            enqueue=_script(link, _ENQUEUE),
            claim_standard=_script(link, _ADOPT + _CLAIM_STANDARD),
            claim_fifo=_script(link, _ADOPT + _CLAIM_FIFO),
            finish=_script(link, _FINISH),
            next_due=_script(link, _NEXT_DUE, writes=False),
            replay=_script(link, _REPLAY),
            purge=_script(link, _PURGE),
            forget_consumers=_script(link, _FORGET_CONSUMERS),
        )
