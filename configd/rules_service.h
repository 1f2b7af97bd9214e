/* rules_service: internal.v1.RulesService/ApplyRules, the rule files
 * other daemons render for vmalert (checksd's rules made from alerting
 * templates): checked by vmalert's dry run, put in the directory vmalert
 * loads, vmalert reloaded. */
#ifndef CONFIGD_RULES_SERVICE_H
#define CONFIGD_RULES_SERVICE_H

#include <stddef.h>

#include "bus/bus.h"

extern const rpc_method rules_service_methods[];
extern const size_t rules_service_methods_count;

#endif
