-- The seed's snippet, verbatim inside main: spawn compute_worker(6, 7) from Lua, wait for
-- its EXIT event and return its value.
local function main()
    local pid, err = process.spawn_monitored("app:compute_worker", "app:processes", 6, 7)
    local event = process.receive()
    if event.type == process.event.EXIT then
        return event.value   -- 42
    end
end

return { main = main }
