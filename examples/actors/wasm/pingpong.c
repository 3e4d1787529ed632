/* pingpong.c: two WebAssembly processes exchanging messages.
 *
 *   pong()        answers every "ping" with a "pong" carrying the same data, until CANCEL;
 *                 returns how many it answered.
 *   ping(rounds)  spawns a pong (entry "actors:pong", linked), sends it `rounds` pings
 *                 numbered 0..rounds-1 and checks that each pong carries its number, then
 *                 cancels it; returns how many round trips failed (0: all came back right,
 *                 so `wippy run ping N` exits with status 0).
 *   sink(count)   takes `count` messages of any topic, then tells the last sender "done";
 *                 returns count (the benchmarks stream messages into it).
 */
#include "wippy_process.h"

static uint8_t data[64];
static char from[128];

__attribute__((export_name("pong"))) int32_t pong(void) {
    int32_t answered = 0;
    for (;;) {
        int32_t kind = wippy_receive("ping", 4, WIPPY_FOREVER);
        if (kind == WIPPY_CANCEL) return answered;
        if (kind != WIPPY_MESSAGE) continue;
        int32_t from_len = wippy_current_from(from, sizeof from);
        int32_t len = wippy_current_data(data, sizeof data);
        if (len > (int32_t)sizeof data) len = 0;
        wippy_send(from, from_len, "pong", 4, data, len);
        answered++;
    }
}

__attribute__((export_name("ping"))) int32_t ping(int32_t rounds) {
    char peer[128];
    int32_t peer_len = wippy_spawn("actors:pong", 11, 0, 0, 0, 0, WIPPY_SPAWN_LINK, peer,
                                   sizeof peer);
    if (peer_len < 0) return peer_len;
    int32_t right = 0;
    for (int32_t i = 0; i < rounds; i++) {
        wippy_mp_writer w = wippy_mp_writer_init(data, sizeof data);
        wippy_mp_int(&w, i);
        wippy_send(peer, peer_len, "ping", 4, data, w.len);
        if (wippy_receive("pong", 4, 10000) != WIPPY_MESSAGE) break;
        int32_t len = wippy_current_data(data, sizeof data);
        wippy_mp_reader r = wippy_mp_reader_init(data, len);
        int64_t n = -1;
        if (wippy_mp_read_int(&r, &n) && n == i) right++;
    }
    wippy_unlink(peer, peer_len);
    wippy_cancel(peer, peer_len, "done", 4);
    return rounds - right;
}

__attribute__((export_name("sink"))) int32_t sink(int32_t count) {
    for (int32_t i = 0; i < count; i++) {
        if (wippy_receive(0, 0, WIPPY_FOREVER) != WIPPY_MESSAGE) i--;
    }
    int32_t from_len = wippy_current_from(from, sizeof from);
    wippy_send(from, from_len, "done", 4, 0, 0);
    return count;
}
