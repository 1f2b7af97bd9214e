/* debug: the debug listener (7773): /debug/metrics (Prometheus text),
 * /debug/vars (JSON) and an index at /debug. */
#ifndef GATEWAY_DEBUG_H
#define GATEWAY_DEBUG_H

typedef struct debug_server debug_server;

debug_server *debug_start(const char *addr, int port);
void debug_stop(debug_server *s);

#endif
