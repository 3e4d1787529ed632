/*
 * fetch.c: core module of fetch.wasm (world `fetch` in fetch.wit), a WASI preview 2 component
 * that GETs a URL through wasi:http/outgoing-handler. wasi-libc (reactor) provides malloc,
 * stderr and nanosleep through the preview1 adapter; wasi:http is called by hand through the
 * canonical ABI: resources are i32 handles, a child (pollable, stream) is dropped before its
 * parent, and multi-value results come back through a return area laid out by WIT alignment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"

IMPORT(HTTP, "[constructor]fields") int32_t fields_new(void);
IMPORT(HTTP, "[constructor]outgoing-request") int32_t request_new(int32_t headers);
IMPORT(HTTP, "[method]outgoing-request.set-scheme")
int32_t request_set_scheme(int32_t req, int32_t is_some, int32_t scheme, int32_t p, int32_t n);
IMPORT(HTTP, "[method]outgoing-request.set-authority")
int32_t request_set_authority(int32_t req, int32_t is_some, const char *p, int32_t n);
IMPORT(HTTP, "[method]outgoing-request.set-path-with-query")
int32_t request_set_path(int32_t req, int32_t is_some, const char *p, int32_t n);
IMPORT("wasi:http/outgoing-handler@0.2.12", "handle")
void http_handle(int32_t req, int32_t has_options, int32_t options, void *ret);
IMPORT(HTTP, "[method]future-incoming-response.subscribe") int32_t future_subscribe(int32_t f);
IMPORT(HTTP, "[method]future-incoming-response.get") void future_get(int32_t f, void *ret);
IMPORT(HTTP, "[method]incoming-response.status") int32_t response_status(int32_t r);
IMPORT(HTTP, "[method]incoming-response.consume") void response_consume(int32_t r, void *ret);
IMPORT(HTTP, "[method]incoming-body.stream") void body_stream(int32_t b, void *ret);
IMPORT(HTTP, "[resource-drop]future-incoming-response") void drop_future(int32_t h);
IMPORT(HTTP, "[resource-drop]incoming-response") void drop_response(int32_t h);
IMPORT(HTTP, "[resource-drop]incoming-body") void drop_body(int32_t h);
IMPORT("wasi:io/poll@0.2.12", "[method]pollable.block") void pollable_block(int32_t p);
IMPORT("wasi:io/poll@0.2.12", "[resource-drop]pollable") void drop_pollable(int32_t h);
IMPORT("wasi:io/streams@0.2.12", "[method]input-stream.blocking-read")
void stream_read(int32_t s, int64_t len, void *ret);
IMPORT("wasi:io/streams@0.2.12", "[resource-drop]input-stream") void drop_input(int32_t h);

EXPORT("cabi_realloc")
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (new_size == 0) {
        free(old_ptr);
        return (void *)align;
    }
    void *p = realloc(old_ptr, new_size);
    if (p == NULL)
        abort();
    return p;
}

static _Alignas(8) uint8_t area[256];
static _Alignas(8) uint8_t ret[16]; /* record response: status u16 @0, body-length u64 @8 */

#define U8(off) (*(uint8_t *)(area + (off)))
#define I32(off) (*(int32_t *)(area + (off)))

static const char *const ERRORS[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached",
};

static void fail(const char *url, const char *reason, uint32_t delay_ms) {
    fprintf(stderr, "fetch %s: %s\n", url, reason);
    fflush(stderr);
    struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    exit(1);
}

static const char *error_name(uint8_t code) {
    return code < sizeof ERRORS / sizeof *ERRORS ? ERRORS[code] : "HTTP error";
}

EXPORT("fetch")
void *fetch(char *ptr, size_t len, uint32_t delay_ms) {
    char *url = malloc(len + 1);
    memcpy(url, ptr, len);
    url[len] = '\0';
    if (strncmp(url, "http://", 7) != 0)
        fail(url, "only http:// URLs are supported", 0);
    const char *authority = url + 7;
    const char *slash = strchr(authority, '/');
    size_t alen = slash ? (size_t)(slash - authority) : strlen(authority);
    const char *path = slash ? slash : "/";

    int32_t req = request_new(fields_new());
    if (request_set_scheme(req, 1, 0, 0, 0) != 0 ||
        request_set_authority(req, 1, authority, (int32_t)alen) != 0 ||
        request_set_path(req, 1, path, (int32_t)strlen(path)) != 0)
        fail(url, "invalid URL", 0);
    http_handle(req, 0, 0, area); /* result<future-incoming-response, error-code>: @0, @8 */
    if (U8(0) != 0)
        fail(url, error_name(U8(8)), delay_ms);
    int32_t future = I32(8);
    int32_t pollable = future_subscribe(future);
    pollable_block(pollable);
    drop_pollable(pollable);
    future_get(future, area); /* option<result<result<incoming-response, error-code>>> */
    drop_future(future);
    if (U8(0) != 1 || U8(8) != 0)
        fail(url, "no response", delay_ms);
    if (U8(16) != 0)
        fail(url, error_name(U8(24)), delay_ms);
    int32_t response = I32(24);
    uint16_t status = (uint16_t)response_status(response);
    response_consume(response, area); /* result<incoming-body>: @0, @4 */
    if (U8(0) != 0)
        fail(url, "no response body", delay_ms);
    int32_t body = I32(4);
    body_stream(body, area);
    if (U8(0) != 0)
        fail(url, "no body stream", delay_ms);
    int32_t stream = I32(4);
    uint64_t length = 0;
    for (;;) {
        stream_read(stream, 65536, area); /* result<list<u8>, stream-error>: @0, @4 @8 */
        if (U8(0) != 0) {
            if (U8(4) != 1) /* not `closed`: the read failed */
                fail(url, "reading the body failed", delay_ms);
            break;
        }
        length += (uint32_t)I32(8);
        free((void *)(uintptr_t)I32(4));
    }
    drop_input(stream);
    drop_body(body);
    drop_response(response);
    free(url);
    if (len != 0)
        free(ptr);
    *(uint16_t *)(ret + 0) = status;
    *(uint64_t *)(ret + 8) = length;
    return ret;
}
