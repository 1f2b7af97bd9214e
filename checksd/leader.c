/* leader: see leader.h. */
#include "leader.h"

#include <stdatomic.h>

static atomic_bool leader = true; /* HA disabled: always the leader */

bool leader_is(void)
{
    return atomic_load(&leader);
}

void leader_set(bool l)
{
    atomic_store(&leader, l);
}
