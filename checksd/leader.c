/* leader: see leader.h. */
#include "leader.h"

#include <stdatomic.h>

static atomic_bool leader = true; /* HA disabled: always the leader */

bool checksd_is_leader(void)
{
    return atomic_load(&leader);
}

void checksd_set_leader(bool l)
{
    atomic_store(&leader, l);
}
