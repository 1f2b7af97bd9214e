/* xmlwalk: reads the small XML documents cloud APIs answer with (AWS's
 * query and REST protocols) as a walk over elements: a callback gets each
 * element when it opens and when it closes, with the path of local names
 * from the root (namespaces dropped, as the AWS SDKs match them) and, on
 * close, its text. Untrusted input: expat parses it; a DOCTYPE (so any
 * entity declaration), nesting deeper than XMLWALK_MAX_DEPTH or text
 * longer than XMLWALK_MAX_TEXT ends the walk with an error. */
#ifndef PMM_XMLWALK_H
#define PMM_XMLWALK_H

#include <stdbool.h>
#include <stddef.h>

#define XMLWALK_MAX_DEPTH 64
#define XMLWALK_MAX_TEXT (1u << 20)

/* path[0] is the root element, path[depth - 1] this one. text is NULL
 * when the element opens, its own character data (not its children's)
 * when it closes. Return 0 to go on, non-zero to stop the walk
 * (xmlwalk then returns that value). */
typedef int (*xmlwalk_fn)(void *ud, const char *const *path, int depth, const char *text);

/* Returns 0, the callback's non-zero value, or -1 with a message in err
 * ("XML syntax error on line 3: mismatched tag") for a malformed or
 * refused document. */
int xmlwalk(const char *doc, size_t len, xmlwalk_fn fn, void *ud, char *err, size_t errlen);

/* True when path (depth elements) equals the '/'-separated names in want,
 * e.g. "ErrorResponse/Error/Code". */
bool xmlwalk_path_is(const char *const *path, int depth, const char *want);

#endif
