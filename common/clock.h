/* clock: the process's two clocks in the units the code uses. Monotonic
 * time for deadlines, ticks and durations (never jumps); wall time only
 * for what leaves the process (timestamps, clock drift, bus deadlines
 * shared between processes). */
#ifndef PMM_CLOCK_H
#define PMM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);
/* CLOCK_REALTIME in milliseconds and in microseconds. */
int64_t clock_wall_ms(void);
int64_t clock_wall_us(void);
/* Seconds on CLOCK_MONOTONIC since t0 (taken with clock_gettime). */
double clock_seconds_since(const struct timespec *t0);

#endif
