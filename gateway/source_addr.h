/* source_addr: the caller's address that password checks are throttled by
 * (inventoryd's login_throttle). It is the TCP peer, except for a request
 * from a loopback peer that carries X-Forwarded-For: the local nginx
 * (deploy/nginx.conf.in) adds the client's address as the last entry, so
 * that entry is the caller. Entries before it are whatever the client
 * sent and are never believed; a forwarded value that is no IP address
 * leaves the peer. (Any local process could claim an address this way;
 * local processes are trusted as the nginx is.) */
#ifndef GATEWAY_SOURCE_ADDR_H
#define GATEWAY_SOURCE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define SOURCE_ADDR_MAX 64

/* 127.0.0.0/8, ::1 and ::ffff:127.x.y.z, as text. */
bool source_is_loopback(const char *ip);

/* The caller of a request whose TCP peer is peer_ip ("" when unknown) and
 * whose X-Forwarded-For is xff (NULL when absent). */
void source_pick(const char *peer_ip, const char *xff, char out[SOURCE_ADDR_MAX]);

/* grpc core's peer text ("ipv4:10.0.0.1:5000", "ipv6:[::1]:5000", also
 * URL-escaped "ipv6:%5B::1%5D:5000") -> the address; "" otherwise. */
void source_from_grpc_peer(const char *peer, char out[SOURCE_ADDR_MAX]);

/* A socket address -> its address text; "" when not IPv4/IPv6. */
void source_from_sockaddr(const struct sockaddr *sa, char out[SOURCE_ADDR_MAX]);

#endif
