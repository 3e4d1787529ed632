"""A short tour of the compute example from Python: spawn, monitor, receive EXIT events; then
call the same export as a function, from several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import wippy
from wippy.wasm import WasmRuntime

APP = Path(__file__).resolve().parent

with wippy.load(APP) as rt, rt.process() as me:
    pid = me.spawn_monitored("myns:compute_worker", "myns:processes", 6, 7)
    event = me.receive(timeout=10)
    print(f"{pid} exited with value {event.value}")

    pids = {me.spawn_monitored("myns:compute_worker", "myns:processes", n, n): n
            for n in range(1, 6)}
    squares = {}
    for _ in pids:
        event = me.receive(timeout=10)
        squares[pids[event.pid]] = event.value
    print("squares computed by 5 processes:", [squares[n] for n in sorted(squares)])

    me.spawn_monitored("myns:greeter", "myns:processes", "from a component")
    print(me.receive(timeout=10).value)

    try:
        me.spawn("myns:compute_worker", "myns:processes", "six", 7)
    except wippy.SpawnError as exc:
        print(f"a bad spawn is refused before anything runs: {exc}")

with WasmRuntime() as wasm:
    multiply = wasm.function(wippy.load_registry(APP), "myns:multiply")
    print(f"as a function: {multiply.signature} gives {multiply.call(6, 7)}")
    with ThreadPoolExecutor(8) as threads:  # the calls share a pool of at most 4 instances
        products = list(threads.map(multiply.call, range(1, 9), range(1, 9)))
    print("squares from 8 threads:", products)
    try:
        multiply.call(2**31, 1)
    except wippy.WasmError as exc:
        print(f"a bad call is refused before anything runs: {exc}")
