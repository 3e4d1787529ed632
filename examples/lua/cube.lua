-- A Lua function: n cubed, through two calls of the WASM function app:multiply.
local funcs = require("funcs")

local function cube(n)
    n = tonumber(n)
    if n == nil then
        error("cube takes a number")
    end
    local square, err = funcs.call("app:multiply", n, n)
    if err then
        error("multiply failed: " .. err)
    end
    return (funcs.call("app:multiply", square, n))
end

return { cube = cube }
