/* worker.c: a pool worker. work() answers every "job" [id, n] with "done" [id, steps, pid],
 * where steps is the number of Collatz steps from n to 1, until CANCEL; returns how many jobs
 * it did. A job whose n is not a positive integer is answered with "failed" [id, reason].
 */
#include "wippy_process.h"

static uint8_t buf[256];
static char from[128];
static char me[128];
static int32_t me_len;

static int64_t collatz(int64_t n) {
    int64_t steps = 0;
    while (n != 1) {
        n = (n % 2) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

__attribute__((export_name("work"))) int32_t work(void) {
    int32_t done = 0;
    me_len = wippy_self(me, sizeof me);
    for (;;) {
        int32_t kind = wippy_receive("job", 3, WIPPY_FOREVER);
        if (kind == WIPPY_CANCEL) return done;
        if (kind != WIPPY_MESSAGE) continue;
        int32_t from_len = wippy_current_from(from, sizeof from);
        int32_t len = wippy_current_data(buf, sizeof buf);
        wippy_mp_reader r = wippy_mp_reader_init(buf, len <= (int32_t)sizeof buf ? len : 0);
        uint32_t count = 0;
        int64_t id = 0, n = 0;
        bool ok = wippy_mp_read_array(&r, &count) && count == 2 && wippy_mp_read_int(&r, &id) &&
                  wippy_mp_read_int(&r, &n) && n > 0;
        wippy_mp_writer w = wippy_mp_writer_init(buf, sizeof buf);
        if (ok) {
            wippy_mp_array(&w, 3);
            wippy_mp_int(&w, id);
            wippy_mp_int(&w, collatz(n));
            wippy_mp_str(&w, me, me_len);
            wippy_send(from, from_len, "done", 4, buf, w.len);
            done++;
        } else {
            wippy_mp_array(&w, 2);
            wippy_mp_int(&w, id);
            wippy_mp_cstr(&w, "n must be a positive integer");
            wippy_send(from, from_len, "failed", 6, buf, w.len);
        }
    }
}
