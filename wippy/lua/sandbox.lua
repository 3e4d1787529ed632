-- wippy's Lua sandbox: run once in each new Lua state, before any entry code.
--
-- It keeps what is safe of the standard library (no os, io, debug, package, dofile, loadfile,
-- string.dump, binary chunks), builds the process, time and funcs modules over `host` (the
-- Python side, reachable only through this file's locals) and returns the controller the
-- Python side drives an entry's code with.
--
-- Waiting (process.receive, a channel's receive, time.sleep) is a coroutine yield of a
-- request to the Python side, which resumes the coroutine with the answer. Coroutines the
-- code creates itself pass such requests up (see `relay`), so they may wait too.

local host, entry_id, in_process = ...

local pack, unpack, concat = table.pack, table.unpack, table.concat
local raw_create, raw_resume, raw_yield = coroutine.create, coroutine.resume, coroutine.yield
local raw_status, raw_close, isyieldable = coroutine.status, coroutine.close, coroutine.isyieldable
local traceback = debug.traceback
local format = string.format
local raw_load, raw_gc = load, collectgarbage
local type, tostring, select, error, pcall = type, tostring, select, error, pcall
local setmetatable, getmetatable, rawequal, rawget = setmetatable, getmetatable, rawequal, rawget
local raw_setmetatable = setmetatable
local call, write, preempted = host.call, host.write, host.preempted

local REQUEST = setmetatable({}, {__name = "wippy.request"})

-- Error values: the second result of a process function that failed.
local Error = {__name = "wippy.error"}
Error.__index = Error
function Error.__tostring(e) return e.message end
function Error.__concat(a, b) return tostring(a) .. tostring(b) end

local function new_error(kind, message)
  return setmetatable({kind = kind, message = message}, Error)
end

-- A Python answer is (true, results...) or (false, failed_value, kind, message).
local function finish(ok, ...)
  if ok then return ... end
  local failed, kind, message = ...
  return failed, new_error(kind, message)
end

local function request(...)
  if not isyieldable() then
    error("cannot wait here: inside a metamethod or a function called from C (such as a "
          .. "table.sort comparator), a process cannot receive or sleep", 3)
  end
  return raw_yield(REQUEST, ...)
end

-- Coroutines of the code: a request made inside one goes up to the process and its answer
-- comes back down; a preemption (the count hook yielding the inner coroutine) makes the
-- process yield too, and the inner coroutine goes on when the process is resumed.
local function relay(co, r)
  while true do
    if r[1] and r.n >= 2 and rawequal(r[2], REQUEST) then
      r = pack(raw_resume(co, raw_yield(unpack(r, 2, r.n))))
    elseif r[1] and r.n == 1 and raw_status(co) == "suspended" and preempted() then
      if isyieldable() then raw_yield(REQUEST, "preempt") end
      r = pack(raw_resume(co))
    else
      return unpack(r, 1, r.n)
    end
  end
end

local function resume(co, ...)
  return relay(co, pack(raw_resume(co, ...)))
end
coroutine.resume = resume

function coroutine.wrap(f)
  local co = raw_create(f)
  return function(...)
    local r = pack(resume(co, ...))
    if r[1] then return unpack(r, 2, r.n) end
    error(r[2], 0)
  end
end

-- What is left of the standard library.
for _, name in ipairs({"os", "io", "debug", "package", "dofile", "loadfile", "python", "warn",
                       "require", "load", "collectgarbage", "print"}) do
  _G[name] = nil
end
string.dump = nil

function load(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then
    return nil, "only text chunks can be loaded (mode 't'): binary chunks are refused"
  end
  if select("#", ...) > 0 then return raw_load(chunk, name, "t", (...)) end
  return raw_load(chunk, name, "t")
end

-- A finalizer would run whenever the collector (or closing the state) gets to it, outside the
-- process's time slices and limits: refused.
function _G.setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not allowed: finalizers would run outside the process", 2)
  end
  return raw_setmetatable(t, mt)
end

local GC_OPTIONS = {count = true, collect = true, step = true, isrunning = true}
function collectgarbage(option, ...)
  option = option or "collect"
  if not GC_OPTIONS[option] then
    error(format("collectgarbage(%q) is not allowed (only count, collect, step, isrunning)",
                 tostring(option)), 2)
  end
  return raw_gc(option, ...)
end

function print(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  write(concat(parts, "\t") .. "\n")
end

-- The modules.
local function op(name)
  return function(...) return finish(call(name, ...)) end
end

local Channel = {__name = "wippy.channel"}
Channel.__index = Channel
function Channel:receive(timeout) return request("receive", self.mode, self.topic, timeout) end

local process = {
  event = {EXIT = "EXIT", LINK_DOWN = "LINK_DOWN", CANCEL = "CANCEL",
           SUPERVISION = "SUPERVISION"},
  pid = op("pid"),
  spawn = op("spawn"),
  spawn_monitored = op("spawn_monitored"),
  spawn_linked = op("spawn_linked"),
  spawn_linked_monitored = op("spawn_linked_monitored"),
  send = op("send"),
  monitor = op("monitor"),
  unmonitor = op("unmonitor"),
  link = op("link"),
  unlink = op("unlink"),
  cancel = op("cancel"),
  terminate = op("terminate"),
  set_options = op("set_options"),
  registry = {register = op("register"), lookup = op("lookup"), unregister = op("unregister")},
}

function process.receive(timeout) return request("receive", "any", nil, timeout) end

local inbox = setmetatable({mode = "inbox"}, Channel)
local events = setmetatable({mode = "events"}, Channel)
function process.inbox() return inbox end
function process.events() return events end

local listeners = {}
function process.listen(topic)
  local ok, failed, kind, message = call("listen", topic)
  if not ok then return failed, new_error(kind, message) end
  local channel = listeners[topic]
  if channel == nil then
    channel = setmetatable({mode = "topic", topic = topic}, Channel)
    listeners[topic] = channel
  end
  return channel
end

function process.unlisten(channel)
  if getmetatable(channel) ~= Channel or channel.mode ~= "topic" then
    return false, new_error("args", "unlisten takes a channel that process.listen returned")
  end
  listeners[channel.topic] = nil
  return finish(call("unlisten", channel.topic))
end

local time = {
  now = op("now"),
  seconds = op("seconds"),
  milliseconds = op("milliseconds"),
}
function time.sleep(duration) return request("sleep", duration) end

local funcs = {call = op("funcs.call")}

local provided = {process = process, time = time, funcs = funcs}
local refused = {os = true, io = true, debug = true, package = true, ffi = true, jit = true}
local enabled = {}

function require(name)
  if type(name) ~= "string" then
    error(format("bad argument #1 to 'require' (string expected, got %s)", type(name)), 2)
  end
  local module = enabled[name]
  if module ~= nil then return module end
  if refused[name] then
    error(format("module '%s' is not available to Lua code in wippy (no files, OS, debug or "
                 .. "loader access)", name), 2)
  end
  if provided[name] then
    error(format("module '%s' is not enabled for %s: add it to the entry's modules", name,
                 entry_id), 2)
  end
  error(format("module '%s' not found (wippy provides process, time and funcs)", name), 2)
end

if in_process then _G.process = process end

-- The controller.
local function enable(name)
  enabled[name] = provided[name]
end

local function pointer(value) return format("%p", value) end

local function message_of(err)
  if type(err) == "string" then return err end
  if getmetatable(err) == Error then return tostring(err.message), err.kind end
  if type(err) == "table" or type(err) == "userdata" then
    local ok, text = pcall(tostring, err)
    if ok and type(text) == "string" and not text:find("^table: ") then return text end
  end
  return format("(error object is a %s value)", type(err))
end

-- Compiles `code` and returns step (resume the entry's coroutine: "done", results... |
-- "error", message, traceback, kind | "request", kind, args... | "preempt" | "yield"),
-- the coroutine's address (for the hook) and close; or nil and the compile error.
local function start(code, chunkname, method, probe)
  local chunk, err = raw_load(code, "@" .. chunkname, "t")
  if chunk == nil then return nil, err end
  local co = raw_create(function(...)
    local module = chunk()
    if type(module) ~= "table" then
      error(format("%s must return a table of functions (it returned %s)", chunkname,
                   type(module)), 0)
    end
    local fn = module[method]
    if type(fn) ~= "function" then
      error(format("%s returns no function '%s' (method)", chunkname, method), 0)
    end
    if probe then return end
    return fn(...)
  end)
  local function step(...)
    local r = pack(raw_resume(co, ...))
    if not r[1] then
      local message, kind = message_of(r[2])
      return "error", message, traceback(co), kind
    end
    if raw_status(co) == "dead" then return "done", unpack(r, 2, r.n) end
    if r.n >= 2 and rawequal(r[2], REQUEST) then return "request", unpack(r, 3, r.n) end
    if r.n == 1 then return "preempt" end
    return "yield"
  end
  local function close()
    if raw_status(co) == "suspended" then raw_close(co) end
  end
  return step, pointer(co), close
end

return {start = start, enable = enable, new_error = new_error, pointer = pointer}
