-- A Lua process supervising WASM workers by hand, as Wippy's docs do it: each job runs in a
-- monitored worker; an EXIT without error is a result, an EXIT with an error is a crash and
-- the job is restarted, at most `max_restarts` times in all, and a job that fails three
-- times is given up. Returns what happened.
local time = require("time")

local ATTEMPTS = 3

local function main(first, last, max_restarts)
    first, last = tonumber(first) or 1, tonumber(last) or 15
    max_restarts = tonumber(max_restarts) or 10
    local jobs, results, failed = {}, {}, {}
    local restarts, running = 0, 0

    local function start(n, attempt)
        local pid, err = process.spawn_monitored("app:steps_worker", "app:processes", n)
        if err then
            error("cannot start a worker for " .. n .. ": " .. err)
        end
        jobs[pid] = {n = n, attempt = attempt}
        running = running + 1
    end

    for n = first, last do
        start(n, 1)
    end
    while running > 0 do
        local event = process.receive(time.seconds(10))
        if event == nil then
            error("no worker exited within 10 s")
        end
        local job = event.type == process.event.EXIT and jobs[event.from]
        if job then
            jobs[event.from] = nil
            running = running - 1
            if event.error == nil then
                results[#results + 1] = {n = job.n, steps = event.value}
            elseif job.attempt < ATTEMPTS and restarts < max_restarts then
                print(("worker for %d crashed (%s); restart %d"):format(
                    job.n, event.error.kind, restarts + 1))
                restarts = restarts + 1
                start(job.n, job.attempt + 1)
            else
                print(("worker for %d gave up after %d attempts: %s"):format(
                    job.n, job.attempt, tostring(event.error)))
                failed[#failed + 1] = job.n
            end
        end
    end
    table.sort(results, function(a, b) return a.n < b.n end)
    table.sort(failed)
    return {done = #results, failed = failed, restarts = restarts, results = results}
end

return { main = main }
