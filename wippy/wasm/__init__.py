"""wippy.wasm"""
