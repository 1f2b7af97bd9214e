/* source_addr: see source_addr.h. */
#include "source_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* A textual IPv4 or IPv6 address, normalised (inet_ntop) into out. */
static bool normalise(const char *text, size_t len, char out[SOURCE_ADDR_MAX])
{
    char buf[SOURCE_ADDR_MAX];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    unsigned char bin[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, buf, bin) == 1)
        return inet_ntop(AF_INET, bin, out, SOURCE_ADDR_MAX) != NULL;
    if (inet_pton(AF_INET6, buf, bin) == 1)
        return inet_ntop(AF_INET6, bin, out, SOURCE_ADDR_MAX) != NULL;
    return false;
}

bool source_is_loopback(const char *ip)
{
    if (!ip)
        return false;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

void source_pick(const char *peer_ip, const char *xff, char out[SOURCE_ADDR_MAX])
{
    snprintf(out, SOURCE_ADDR_MAX, "%s", peer_ip ? peer_ip : "");
    if (!xff || !source_is_loopback(peer_ip))
        return;
    /* the last entry, without the spaces around it */
    const char *comma = strrchr(xff, ',');
    const char *start = comma ? comma + 1 : xff;
    while (*start == ' ' || *start == '\t')
        start++;
    size_t len = strlen(start);
    while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
        len--;
    char forwarded[SOURCE_ADDR_MAX];
    if (normalise(start, len, forwarded))
        memcpy(out, forwarded, SOURCE_ADDR_MAX);
}

void source_from_grpc_peer(const char *peer, char out[SOURCE_ADDR_MAX])
{
    out[0] = '\0';
    if (!peer)
        return;
    if (strncmp(peer, "ipv4:", 5) == 0) {
        const char *colon = strrchr(peer + 5, ':');
        normalise(peer + 5, colon ? (size_t)(colon - peer - 5) : strlen(peer + 5), out);
    } else if (strncmp(peer, "ipv6:[", 6) == 0) {
        const char *end = strchr(peer + 6, ']');
        if (end)
            normalise(peer + 6, (size_t)(end - peer - 6), out);
    } else if (strncmp(peer, "ipv6:%5B", 8) == 0 || strncmp(peer, "ipv6:%5b", 8) == 0) {
        const char *end = strstr(peer + 8, "%5D");
        if (!end)
            end = strstr(peer + 8, "%5d");
        if (end)
            normalise(peer + 8, (size_t)(end - peer - 8), out);
    }
}

void source_from_sockaddr(const struct sockaddr *sa, char out[SOURCE_ADDR_MAX])
{
    out[0] = '\0';
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, SOURCE_ADDR_MAX);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, SOURCE_ADDR_MAX);
}
