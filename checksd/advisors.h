/* advisors: advisors.v1.AdvisorService, checksd's method table. */
#ifndef CHECKSD_ADVISORS_H
#define CHECKSD_ADVISORS_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method advisors_methods[];
extern const size_t advisors_methods_count;

#endif
