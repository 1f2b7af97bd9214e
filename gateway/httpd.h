/* httpd: small helpers shared by the gateway's HTTP listeners (REST and
 * debug) on top of libmicrohttpd: binding, and sending a buffer. */
#ifndef GATEWAY_HTTPD_H
#define GATEWAY_HTTPD_H

#include <stddef.h>
#include <microhttpd.h>

/* Fills a sockaddr for addr:port (IPv4 or IPv6 literal). 0 or -1. */
int httpd_sockaddr(const char *addr, int port, struct sockaddr_storage *ss);

/* Queues a response that takes ownership of body (malloc'd; may be NULL
 * with len 0). extra headers: NULL-terminated name, value pairs. */
enum MHD_Result httpd_send(struct MHD_Connection *c, unsigned int status, const char *content_type,
                           char *body, size_t len, const char *const *headers);

#endif
