/* flow: credit-based reading of pmm-agent streams (see flow.h). */
#include "flow.h"

#include "bus/stream_msg.h"

static struct {
    void (*resume)(flow_state *f);
    uint64_t total;           /* uncredited bytes, live streams and ended ones */
    uint64_t ended;           /* the part of total of streams that ended */
    flow_state *paused;       /* streams waiting for credit */
} F;

void flow_init(void (*resume)(flow_state *f))
{
    F.resume = resume;
}

void flow_start(flow_state *f, void *owner)
{
    *f = (flow_state){ .owner = owner };
}

uint64_t flow_in_flight(void)
{
    return F.total;
}

static void unlink_paused(flow_state *f)
{
    if (!f->paused)
        return;
    *f->pprev_paused = f->next_paused;
    if (f->next_paused)
        f->next_paused->pprev_paused = f->pprev_paused;
    f->next_paused = NULL;
    f->pprev_paused = NULL;
    f->paused = 0;
}

/* Clears the seconds between the last message and now. */
static void advance(flow_state *f, int64_t sec)
{
    if (sec <= f->last_sec)
        return;
    int64_t gap = sec - f->last_sec;
    for (int64_t k = 1; k <= gap && k <= FLOW_FLOOD_SECONDS; k++) {
        int slot = (int)((f->last_sec + k) % FLOW_FLOOD_SECONDS);
        f->sec_bytes[slot] = f->sec_largest[slot] = 0;
    }
    f->last_sec = sec;
}

void flow_charge(flow_state *f, size_t len, int64_t now_ms)
{
    uint64_t charge = stream_msg_charge(len);
    f->unacked += charge;
    F.total += charge;
    int64_t sec = now_ms / 1000;
    advance(f, sec);
    int slot = (int)(sec % FLOW_FLOOD_SECONDS);
    f->sec_bytes[slot] += len;
    if (len > f->sec_largest[slot])
        f->sec_largest[slot] = len;
}

int flow_may_read(const flow_state *f)
{
    return !f->forgotten && f->unacked < FLOW_STREAM_WINDOW && F.total < FLOW_GLOBAL_WINDOW;
}

int flow_flooding(const flow_state *f)
{
    uint64_t sum = 0, largest = 0;
    for (int i = 0; i < FLOW_FLOOD_SECONDS; i++) {
        sum += f->sec_bytes[i];
        if (f->sec_largest[i] > largest)
            largest = f->sec_largest[i];
    }
    return sum - largest > FLOW_FLOOD_BYTES;
}

void flow_pause(flow_state *f)
{
    if (f->paused || f->forgotten)
        return;
    f->paused = 1;
    f->next_paused = F.paused;
    f->pprev_paused = &F.paused;
    if (F.paused)
        F.paused->pprev_paused = &f->next_paused;
    F.paused = f;
}

/* The callback only starts a receive: it changes no other stream. */
static void resume(flow_state *f)
{
    unlink_paused(f);
    F.resume(f);
}

/* After the total fell: every paused stream that may read now does. */
static void resume_all(void)
{
    for (flow_state *f = F.paused, *next; f; f = next) {
        next = f->next_paused;
        if (flow_may_read(f))
            resume(f);
        if (F.total >= FLOW_GLOBAL_WINDOW)
            return;
    }
}

static uint64_t take(uint64_t *from, uint64_t bytes)
{
    uint64_t n = bytes < *from ? bytes : *from;
    *from -= n;
    F.total -= n;
    return n;
}

void flow_credit(flow_state *f, uint64_t bytes)
{
    int was_over = F.total >= FLOW_GLOBAL_WINDOW;
    if (f && !f->forgotten)
        take(&f->unacked, bytes);
    else
        take(&F.ended, bytes);
    if (f && f->paused && flow_may_read(f))
        resume(f);
    if (was_over && F.total < FLOW_GLOBAL_WINDOW)
        resume_all();
}

void flow_forget(flow_state *f)
{
    if (f->forgotten)
        return;
    unlink_paused(f);
    f->forgotten = 1;
    F.ended += f->unacked; /* still counted in the total */
    f->unacked = 0;
}

void flow_reset(flow_state *f)
{
    if (f->forgotten)
        return;
    F.total -= f->unacked;
    f->unacked = 0;
}

void flow_reset_ended(void)
{
    F.total -= F.ended;
    F.ended = 0;
    resume_all();
}
