/* kv.c: a key-value server in WebAssembly. It registers itself as "kv" and answers messages:
 *
 *   topic "put"    data [key, value]  ->  reply true (false when the table is full)
 *   topic "get"    data key           ->  reply the value, or nil
 *   topic "delete" data key           ->  reply true if the key was there, else false
 *   topic "crash"                     ->  traps (to show the supervisor restarting it)
 *
 * Replies go to the sender's pid under topic "reply". Values are any MessagePack value, kept
 * as sent. CANCEL ends the server; its result is the number of keys it held.
 */
#include "wippy_process.h"

#define MAX_KEYS 64
#define MAX_KEY 64
#define MAX_VALUE 256

static struct {
    int32_t key_len, value_len;
    char key[MAX_KEY];
    uint8_t value[MAX_VALUE];
} table[MAX_KEYS];
static int32_t used;

static void copy(void *to, const void *from, int32_t n) {  /* no libc here: no memcpy */
    for (int32_t i = 0; i < n; i++) ((uint8_t *)to)[i] = ((const uint8_t *)from)[i];
}

static int32_t find(const char *key, int32_t len) {
    for (int32_t i = 0; i < used; i++) {
        if (table[i].key_len != len) continue;
        int32_t j = 0;
        while (j < len && table[i].key[j] == key[j]) j++;
        if (j == len) return i;
    }
    return -1;
}

static uint8_t request[1024];
static uint8_t answer[MAX_VALUE + 16];
static char sender[128];
static char topic[16];

static void reply(const uint8_t *data, int32_t len) {
    int32_t sender_len = wippy_current_from(sender, sizeof sender);
    wippy_send(sender, sender_len, "reply", 5, data, len);
}

static void reply_bool(bool value) {
    wippy_mp_writer w = wippy_mp_writer_init(answer, sizeof answer);
    wippy_mp_bool(&w, value);
    reply(answer, w.len);
}

__attribute__((export_name("serve"))) int32_t serve(void) {
    wippy_register("kv", 2);
    for (;;) {
        int32_t kind = wippy_receive(0, 0, WIPPY_FOREVER);
        if (kind == WIPPY_CANCEL) return used;
        if (kind != WIPPY_MESSAGE) continue;
        int32_t topic_len = wippy_current_topic(topic, sizeof topic);
        int32_t len = wippy_current_data(request, sizeof request);
        if (len > (int32_t)sizeof request || topic_len > (int32_t)sizeof topic) continue;

        /* the key: the data itself, or the first element of an array ([key, value]) */
        wippy_mp_reader r = wippy_mp_reader_init(request, len);
        uint32_t count = 0;
        const char *key = 0;
        int32_t key_len = 0;
        if (wippy_mp_peek(&r) == WIPPY_MP_ARRAY) wippy_mp_read_array(&r, &count);
        wippy_mp_read_str(&r, &key, &key_len);
        int32_t slot = r.error ? -1 : find(key, key_len);

        if (wippy_eq(topic, topic_len, "get")) {
            wippy_mp_writer w = wippy_mp_writer_init(answer, sizeof answer);
            if (slot < 0) wippy_mp_nil(&w);
            else wippy_mp_raw(&w, table[slot].value, table[slot].value_len);
            reply(answer, w.len);
        } else if (wippy_eq(topic, topic_len, "put")) {
            int32_t start = r.pos;
            bool ok = !r.error && key_len <= MAX_KEY && wippy_mp_skip(&r) &&
                      r.pos - start <= MAX_VALUE && (slot >= 0 || used < MAX_KEYS);
            if (ok) {
                if (slot < 0) slot = used++;
                table[slot].key_len = key_len;
                copy(table[slot].key, key, key_len);
                table[slot].value_len = r.pos - start;
                copy(table[slot].value, request + start, r.pos - start);
            }
            reply_bool(ok);
        } else if (wippy_eq(topic, topic_len, "delete")) {
            if (slot >= 0 && slot != --used) copy(&table[slot], &table[used], sizeof table[0]);
            reply_bool(slot >= 0);
        } else if (wippy_eq(topic, topic_len, "crash")) {
            __builtin_trap();
        }
    }
}
