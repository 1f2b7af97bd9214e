/* pmm: the host functions PMM's check scripts get (advisors reference
 * §6, upstream managed/services/checks/funcs.go), as checksd will
 * register them:
 *   parse_version(s)         {"major", "minor", "patch", "rest", "num", "numrest"}
 *   format_version_num(n)    "M.m.p" (or "M.m.p-R" for n > 10,000,000)
 *   ip_is_private(s)         True/False for an IP or CIDR, None if invalid
 * Errors read as upstream's: "parse_version: failed to parse \"x\"",
 * "format_version_num: expected int64 argument, got string (x)",
 * "<name>: kwargs are not supported". */
#ifndef STARLARK_PMM_H
#define STARLARK_PMM_H

#include "starlark/starlark.h"

/* Predeclares parse_version and format_version_num as globals of the
 * modules t executes afterwards (check versions 1 and 2). -1 on error. */
int sl_pmm_predeclare(sl_thread *t);

/* The frozen `context` dict passed to check_context: the two functions
 * above plus ip_is_private. The error value on failure. */
sl_value sl_pmm_context(sl_thread *t);

#endif
