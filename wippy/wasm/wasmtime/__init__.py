"""The wasmtime engine: core modules stepped on fibers, components, WASI preview 1 and 2."""
