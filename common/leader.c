/* leader: the HA leadership flag (see leader.h). */
#include "leader.h"

#include <stdatomic.h>
#include <string.h>

static atomic_bool leading = true;

bool leader_is(void)
{
    return atomic_load_explicit(&leading, memory_order_relaxed);
}

void leader_set(bool on)
{
    atomic_store_explicit(&leading, on, memory_order_relaxed);
}

int leader_on_event(const char *topic)
{
    if (!topic)
        return 0;
    if (strcmp(topic, "leader") == 0) {
        leader_set(true);
        return 1;
    }
    if (strcmp(topic, "follower") == 0) {
        leader_set(false);
        return 1;
    }
    return 0;
}
