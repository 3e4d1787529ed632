"""The optional wasmer engine (CPython 3.10 only): core modules and WASI preview 1."""
