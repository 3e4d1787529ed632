/*
 * greet.c: core module of the greet.wasm component (world `greeter` in
 * greet.wit), written by hand against the component model's canonical ABI,
 * without libc or generated bindings.
 *
 *   greet: func(name: string) -> string   returns "Hello, <name>!"
 *
 * Canonical ABI, core side:
 *   greet(name_ptr: i32, name_len: i32) -> i32
 *       The result string does not fit in one core value, so greet returns a
 *       pointer to an 8-byte return area holding (ptr: i32, len: i32).
 *   cabi_post_greet(retptr: i32)
 *       Called by the host after it has copied the result out: frees all
 *       memory handed out since the call began.
 *   cabi_realloc(old_ptr, old_size, align, new_size) -> ptr
 *       The host uses it to copy the argument string into guest memory.
 *
 * Memory is managed by a bump allocator that is reset by cabi_post_greet, so
 * each call starts from an empty heap. The module has no imports.
 *
 * Build: clang --target=wasm32-unknown-unknown -Oz -nostdlib
 *        -Wl,--no-entry -Wl,--strip-all  (see tools/build-fixtures.sh)
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

extern unsigned char __heap_base;   /* provided by wasm-ld */

static uintptr_t heap_top;          /* next free byte; 0 = not yet set */

static void *bump_alloc(size_t size, size_t align) {
    if (heap_top == 0)
        heap_top = (uintptr_t)&__heap_base;
    if (align == 0)
        align = 1;
    uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
    uintptr_t end = p + size;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uintptr_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            __builtin_trap();
    }
    heap_top = end;
    return (void *)p;
}

static void copy_bytes(unsigned char *dst, const unsigned char *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

EXPORT("cabi_realloc")
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    if (new_size == 0)
        return (void *)align;   /* any aligned non-null pointer will do */
    void *p = bump_alloc(new_size, align);
    if (old_ptr != NULL)
        copy_bytes(p, old_ptr, old_size < new_size ? old_size : new_size);
    return p;
}

static uint32_t ret_area[2];        /* (ptr, len) of the result string */

EXPORT("greet")
uint32_t *greet(const unsigned char *name, size_t name_len) {
    static const char prefix[] = "Hello, ";
    static const char suffix[] = "!";
    size_t np = sizeof(prefix) - 1, ns = sizeof(suffix) - 1;
    size_t len = np + name_len + ns;
    unsigned char *out = bump_alloc(len, 1);
    copy_bytes(out, (const unsigned char *)prefix, np);
    copy_bytes(out + np, name, name_len);
    copy_bytes(out + np + name_len, (const unsigned char *)suffix, ns);
    ret_area[0] = (uint32_t)(uintptr_t)out;
    ret_area[1] = (uint32_t)len;
    return ret_area;
}

EXPORT("cabi_post_greet")
void cabi_post_greet(uint32_t *retptr) {
    (void)retptr;
    heap_top = 0;   /* everything allocated for this call is garbage now */
}
