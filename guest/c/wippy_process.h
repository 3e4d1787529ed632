/*
 * wippy_process.h: the wippy:process host interface for C guests (core modules), in one header.
 *
 * A module that includes it imports the functions of the module "wippy:process"; its entry must
 * list `imports: [wippy:process]`. Strings are UTF-8 (pointer, length) pairs; a pid argument also
 * takes a registered name; data is one MessagePack value (or nothing). Functions that copy out
 * (wippy_self, wippy_current_*, wippy_last_error) return the length, and write nothing when it
 * exceeds `cap`. Negative returns are the WIPPY_E_* codes; wippy_last_error gives the message.
 * See the README of wippy, "WASM processes that are actors".
 *
 * The header is freestanding: it needs no libc (only <stdint.h>, <stddef.h>, <stdbool.h>), so a
 * guest builds with `clang --target=wasm32-unknown-unknown -nostdlib` as well as with wasi-libc.
 * Below the imports are small helpers: a MessagePack writer and reader for the values guests
 * usually exchange (nil, bool, integers, strings, binary, arrays and maps).
 */
#ifndef WIPPY_PROCESS_H
#define WIPPY_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WIPPY_IMPORT(name) \
    __attribute__((import_module("wippy:process"), import_name(name)))

/* What wippy_receive returns: the kind of the item that became current. */
enum {
    WIPPY_TIMEOUT = 0,   /* nothing arrived in time; there is no current item */
    WIPPY_MESSAGE = 1,   /* a message: topic, sender, data */
    WIPPY_EXIT = 2,      /* a monitored process exited: data {value, error} */
    WIPPY_LINK_DOWN = 3, /* a linked process failed (with trap_links): data {value, error} */
    WIPPY_CANCEL = 4,    /* asked to stop: data is the reason string; finish within the grace */
    WIPPY_OTHER = 5,     /* another event (SUPERVISION): topic is its type */
};

/* Negative returns. */
enum {
    WIPPY_E_BAD_ARGUMENT = -1,  /* not UTF-8, not a pid, not MessagePack, bad flags or timeout */
    WIPPY_E_NO_PROCESS = -2,    /* no live process has that pid or name */
    WIPPY_E_SPAWN_FAILED = -3,  /* unknown entry or host, host full, arguments that do not fit */
    WIPPY_E_NAME_TAKEN = -4,    /* register: another process holds the name */
    WIPPY_E_NO_ITEM = -5,       /* current_*: nothing received, or the last receive timed out */
    WIPPY_E_NOT_ENCODABLE = -6, /* current_data: a Python value MessagePack cannot hold */
};

/* wippy_spawn flags. */
enum { WIPPY_SPAWN_MONITOR = 1, WIPPY_SPAWN_LINK = 2 };

/* wippy_receive timeouts. */
#define WIPPY_FOREVER ((int64_t)-1)
#define WIPPY_POLL ((int64_t)0)

WIPPY_IMPORT("self") int32_t wippy_self(char *buf, int32_t cap);
WIPPY_IMPORT("send")
int32_t wippy_send(const char *to, int32_t to_len, const char *topic, int32_t topic_len,
                   const void *data, int32_t data_len);
WIPPY_IMPORT("receive") int32_t wippy_receive(const char *topic, int32_t topic_len,
                                              int64_t timeout_ms);
WIPPY_IMPORT("current_topic") int32_t wippy_current_topic(char *buf, int32_t cap);
WIPPY_IMPORT("current_from") int32_t wippy_current_from(char *buf, int32_t cap);
WIPPY_IMPORT("current_data") int32_t wippy_current_data(void *buf, int32_t cap);
/* `cap` must hold any pid of the host: strlen(host) + 23 bytes (else nothing is spawned and
 * that length is returned). An empty host is the caller's own. */
WIPPY_IMPORT("spawn")
int32_t wippy_spawn(const char *entry, int32_t entry_len, const char *host, int32_t host_len,
                    const void *args, int32_t args_len, int32_t flags, char *buf, int32_t cap);
WIPPY_IMPORT("monitor") int32_t wippy_monitor(const char *pid, int32_t pid_len);
WIPPY_IMPORT("unmonitor") int32_t wippy_unmonitor(const char *pid, int32_t pid_len);
WIPPY_IMPORT("link") int32_t wippy_link(const char *pid, int32_t pid_len);
WIPPY_IMPORT("unlink") int32_t wippy_unlink(const char *pid, int32_t pid_len);
WIPPY_IMPORT("terminate") int32_t wippy_terminate(const char *pid, int32_t pid_len);
WIPPY_IMPORT("cancel")
int32_t wippy_cancel(const char *pid, int32_t pid_len, const char *reason, int32_t reason_len);
WIPPY_IMPORT("trap_links") int32_t wippy_trap_links(int32_t on);
WIPPY_IMPORT("register") int32_t wippy_register(const char *name, int32_t name_len);
WIPPY_IMPORT("unregister") int32_t wippy_unregister(const char *name, int32_t name_len);
WIPPY_IMPORT("last_error") int32_t wippy_last_error(char *buf, int32_t cap);

/* ---------------------------------------------------------------- small helpers */

static inline int32_t wippy_strlen(const char *s) {
    int32_t n = 0;
    while (s[n]) n++;
    return n;
}

static inline bool wippy_eq(const char *a, int32_t a_len, const char *b) {
    int32_t i = 0;
    for (; i < a_len; i++)
        if (b[i] != a[i] || !b[i]) return false;
    return b[i] == 0;
}

/* wippy_send with NUL-terminated `to` and `topic`. */
static inline int32_t wippy_send_to(const char *to, const char *topic, const void *data,
                                    int32_t data_len) {
    return wippy_send(to, wippy_strlen(to), topic, wippy_strlen(topic), data, data_len);
}

/* ---------------------------------------------------------------- MessagePack writer */

/* Writes into buf[0..cap); `len` keeps counting past `cap`, so `len > cap` means it did not fit
 * (nothing past `cap` is written). */
typedef struct {
    uint8_t *buf;
    int32_t cap;
    int32_t len;
} wippy_mp_writer;

static inline wippy_mp_writer wippy_mp_writer_init(void *buf, int32_t cap) {
    wippy_mp_writer w = {(uint8_t *)buf, cap, 0};
    return w;
}

static inline bool wippy_mp_ok(const wippy_mp_writer *w) { return w->len <= w->cap; }

static inline void wippy_mp_byte(wippy_mp_writer *w, uint8_t b) {
    if (w->len < w->cap) w->buf[w->len] = b;
    w->len++;
}

static inline void wippy_mp_be(wippy_mp_writer *w, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) wippy_mp_byte(w, (uint8_t)(v >> (8 * i)));
}

static inline void wippy_mp_raw(wippy_mp_writer *w, const void *data, int32_t n) {
    const uint8_t *p = (const uint8_t *)data;
    for (int32_t i = 0; i < n; i++) wippy_mp_byte(w, p[i]);
}

static inline void wippy_mp_nil(wippy_mp_writer *w) { wippy_mp_byte(w, 0xc0); }
static inline void wippy_mp_bool(wippy_mp_writer *w, bool v) { wippy_mp_byte(w, v ? 0xc3 : 0xc2); }

static inline void wippy_mp_int(wippy_mp_writer *w, int64_t v) {
    if (v >= 0 && v <= 0x7f) {
        wippy_mp_byte(w, (uint8_t)v);
    } else if (v < 0 && v >= -32) {
        wippy_mp_byte(w, (uint8_t)(int8_t)v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        wippy_mp_byte(w, 0xd2);
        wippy_mp_be(w, (uint64_t)(uint32_t)(int32_t)v, 4);
    } else {
        wippy_mp_byte(w, 0xd3);
        wippy_mp_be(w, (uint64_t)v, 8);
    }
}

static inline void wippy_mp_str(wippy_mp_writer *w, const char *s, int32_t n) {
    if (n < 32) {
        wippy_mp_byte(w, (uint8_t)(0xa0 | n));
    } else if (n < 256) {
        wippy_mp_byte(w, 0xd9);
        wippy_mp_be(w, (uint64_t)n, 1);
    } else {
        wippy_mp_byte(w, 0xdb);
        wippy_mp_be(w, (uint64_t)n, 4);
    }
    wippy_mp_raw(w, s, n);
}

static inline void wippy_mp_cstr(wippy_mp_writer *w, const char *s) {
    wippy_mp_str(w, s, wippy_strlen(s));
}

static inline void wippy_mp_bin(wippy_mp_writer *w, const void *data, int32_t n) {
    wippy_mp_byte(w, 0xc6);
    wippy_mp_be(w, (uint64_t)n, 4);
    wippy_mp_raw(w, data, n);
}

static inline void wippy_mp_array(wippy_mp_writer *w, uint32_t n) {
    if (n < 16) {
        wippy_mp_byte(w, (uint8_t)(0x90 | n));
    } else {
        wippy_mp_byte(w, 0xdd);
        wippy_mp_be(w, n, 4);
    }
}

static inline void wippy_mp_map(wippy_mp_writer *w, uint32_t n) {
    if (n < 16) {
        wippy_mp_byte(w, (uint8_t)(0x80 | n));
    } else {
        wippy_mp_byte(w, 0xdf);
        wippy_mp_be(w, n, 4);
    }
}

/* ---------------------------------------------------------------- MessagePack reader */

/* Reads data[0..len); any read that does not fit (wrong type, truncated data) sets `error` and
 * returns false, and every later read fails too. */
typedef struct {
    const uint8_t *data;
    int32_t len;
    int32_t pos;
    bool error;
} wippy_mp_reader;

enum {
    WIPPY_MP_NIL, WIPPY_MP_BOOL, WIPPY_MP_INT, WIPPY_MP_FLOAT, WIPPY_MP_STR, WIPPY_MP_BIN,
    WIPPY_MP_ARRAY, WIPPY_MP_MAP, WIPPY_MP_EXT, WIPPY_MP_END, WIPPY_MP_INVALID,
};

static inline wippy_mp_reader wippy_mp_reader_init(const void *data, int32_t len) {
    wippy_mp_reader r = {(const uint8_t *)data, len, 0, false};
    return r;
}

static inline bool wippy_mp_fail(wippy_mp_reader *r) {
    r->error = true;
    return false;
}

static inline bool wippy_mp_take(wippy_mp_reader *r, int32_t n, uint64_t *out) {
    if (r->error || n > r->len - r->pos) return wippy_mp_fail(r);
    uint64_t v = 0;
    for (int32_t i = 0; i < n; i++) v = (v << 8) | r->data[r->pos + i];
    r->pos += n;
    *out = v;
    return true;
}

/* The type of the next value (WIPPY_MP_END at the end of the data). */
static inline int wippy_mp_peek(const wippy_mp_reader *r) {
    if (r->error) return WIPPY_MP_INVALID;
    if (r->pos >= r->len) return WIPPY_MP_END;
    uint8_t b = r->data[r->pos];
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3)) return WIPPY_MP_INT;
    if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb)) return WIPPY_MP_STR;
    if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd) return WIPPY_MP_ARRAY;
    if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) return WIPPY_MP_MAP;
    if (b == 0xc0) return WIPPY_MP_NIL;
    if (b == 0xc2 || b == 0xc3) return WIPPY_MP_BOOL;
    if (b == 0xca || b == 0xcb) return WIPPY_MP_FLOAT;
    if (b >= 0xc4 && b <= 0xc6) return WIPPY_MP_BIN;
    if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) return WIPPY_MP_EXT;
    return WIPPY_MP_INVALID;
}

static inline bool wippy_mp_read_nil(wippy_mp_reader *r) {
    uint64_t b;
    if (wippy_mp_peek(r) != WIPPY_MP_NIL) return wippy_mp_fail(r);
    return wippy_mp_take(r, 1, &b);
}

static inline bool wippy_mp_read_bool(wippy_mp_reader *r, bool *out) {
    uint64_t b;
    if (wippy_mp_peek(r) != WIPPY_MP_BOOL || !wippy_mp_take(r, 1, &b)) return wippy_mp_fail(r);
    *out = b == 0xc3;
    return true;
}

static inline bool wippy_mp_read_int(wippy_mp_reader *r, int64_t *out) {
    uint64_t b, v;
    if (wippy_mp_peek(r) != WIPPY_MP_INT || !wippy_mp_take(r, 1, &b)) return wippy_mp_fail(r);
    if (b <= 0x7f) { *out = (int64_t)b; return true; }
    if (b >= 0xe0) { *out = (int64_t)(int8_t)b; return true; }
    static const int8_t widths[] = {1, 2, 4, 8, 1, 2, 4, 8};  /* 0xcc..0xd3 */
    int width = widths[b - 0xcc];
    if (!wippy_mp_take(r, width, &v)) return false;
    if (b >= 0xd0) {  /* signed: sign-extend */
        int shift = 64 - 8 * width;
        *out = (int64_t)(v << shift) >> shift;
    } else {
        if (v > (uint64_t)INT64_MAX) return wippy_mp_fail(r);
        *out = (int64_t)v;
    }
    return true;
}

static inline bool wippy_mp_read_len(wippy_mp_reader *r, int fix_mask, uint8_t fix_tag,
                                     uint8_t first, uint32_t *n) {
    uint64_t b, v;
    if (!wippy_mp_take(r, 1, &b)) return false;
    if ((b & (uint64_t)~fix_mask) == fix_tag) { *n = (uint32_t)(b & (uint64_t)fix_mask); return true; }
    if (b < first || b > first + 2u) return wippy_mp_fail(r);
    static const int8_t widths[] = {1, 2, 4};
    if (!wippy_mp_take(r, widths[b - first], &v)) return false;
    *n = (uint32_t)v;
    return true;
}

/* A string: *s points into the data (not NUL-terminated), *n is its length. */
static inline bool wippy_mp_read_str(wippy_mp_reader *r, const char **s, int32_t *n) {
    uint32_t len;
    if (wippy_mp_peek(r) != WIPPY_MP_STR) return wippy_mp_fail(r);
    uint8_t b = r->data[r->pos];
    bool fix = (b & 0xe0) == 0xa0;
    if (!wippy_mp_read_len(r, fix ? 0x1f : 0, fix ? 0xa0 : 0xff, 0xd9, &len)) return false;
    if (len > (uint32_t)(r->len - r->pos)) return wippy_mp_fail(r);
    *s = (const char *)r->data + r->pos;
    *n = (int32_t)len;
    r->pos += (int32_t)len;
    return true;
}

static inline bool wippy_mp_read_bin(wippy_mp_reader *r, const uint8_t **p, int32_t *n) {
    uint32_t len;
    if (wippy_mp_peek(r) != WIPPY_MP_BIN) return wippy_mp_fail(r);
    if (!wippy_mp_read_len(r, 0, 0xff, 0xc4, &len)) return false;
    if (len > (uint32_t)(r->len - r->pos)) return wippy_mp_fail(r);
    *p = r->data + r->pos;
    *n = (int32_t)len;
    r->pos += (int32_t)len;
    return true;
}

static inline bool wippy_mp_read_array(wippy_mp_reader *r, uint32_t *n) {
    if (wippy_mp_peek(r) != WIPPY_MP_ARRAY) return wippy_mp_fail(r);
    bool fix = (r->data[r->pos] & 0xf0) == 0x90;
    return wippy_mp_read_len(r, fix ? 0x0f : 0, fix ? 0x90 : 0xff, 0xdb, n);
}

static inline bool wippy_mp_read_map(wippy_mp_reader *r, uint32_t *n) {
    if (wippy_mp_peek(r) != WIPPY_MP_MAP) return wippy_mp_fail(r);
    bool fix = (r->data[r->pos] & 0xf0) == 0x80;
    return wippy_mp_read_len(r, fix ? 0x0f : 0, fix ? 0x80 : 0xff, 0xdd, n);
}

/* Skips one value of any type, nested ones included. */
static inline bool wippy_mp_skip(wippy_mp_reader *r) {
    uint64_t pending = 1, b, v;
    while (pending > 0) {
        pending--;
        int type = wippy_mp_peek(r);
        uint32_t n;
        const char *s;
        const uint8_t *p;
        int32_t len;
        int64_t i;
        switch (type) {
        case WIPPY_MP_NIL: if (!wippy_mp_take(r, 1, &b)) return false; break;
        case WIPPY_MP_BOOL: if (!wippy_mp_take(r, 1, &b)) return false; break;
        case WIPPY_MP_INT: if (!wippy_mp_read_int(r, &i)) return false; break;
        case WIPPY_MP_FLOAT:
            if (!wippy_mp_take(r, 1, &b) || !wippy_mp_take(r, b == 0xca ? 4 : 8, &v)) return false;
            break;
        case WIPPY_MP_STR: if (!wippy_mp_read_str(r, &s, &len)) return false; break;
        case WIPPY_MP_BIN: if (!wippy_mp_read_bin(r, &p, &len)) return false; break;
        case WIPPY_MP_ARRAY: if (!wippy_mp_read_array(r, &n)) return false; pending += n; break;
        case WIPPY_MP_MAP: if (!wippy_mp_read_map(r, &n)) return false; pending += 2ull * n; break;
        case WIPPY_MP_EXT: {
            static const int8_t fixed[] = {1, 2, 4, 8, 16};  /* 0xd4..0xd8 */
            if (!wippy_mp_take(r, 1, &b)) return false;
            if (b >= 0xd4) { len = fixed[b - 0xd4]; }
            else { if (!wippy_mp_take(r, (int32_t)(1 << (b - 0xc7)), &v)) return false; len = (int32_t)v; }
            if (!wippy_mp_take(r, 1, &v) || len > r->len - r->pos) return wippy_mp_fail(r);
            r->pos += len;
            break;
        }
        default: return wippy_mp_fail(r);
        }
    }
    return true;
}

#ifdef __cplusplus
}
#endif

#endif /* WIPPY_PROCESS_H */
