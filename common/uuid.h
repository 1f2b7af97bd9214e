/* uuid: random (version 4) UUID strings, the id format of PMM v3. */
#ifndef PMM_UUID_H
#define PMM_UUID_H

#include <stdbool.h>

#define UUID_STR_LEN 37

void uuid_v4(char out[UUID_STR_LEN]);
bool uuid_valid(const char *s);

#endif
