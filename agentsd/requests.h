/* requests: requests agentsd makes of a pmm-agent on its stream (Ping,
 * SetState, actions, jobs...), matched to the agent's answers by message
 * id. Each ends exactly once through its callback: with the answer, the
 * agent's error, a timeout, or the stream's end. Stream loop thread only. */
#ifndef AGENTSD_REQUESTS_H
#define AGENTSD_REQUESTS_H

#include <stdint.h>

#include "agent/v1/agent.pb-c.h"
#include "streams.h"

/* The answer: the agent's response (taken by the callback; NULL on
 * error) with code OK, or an error code and message. */
typedef void (*requests_reply_fn)(conn *c, void *arg, int code, const char *message, Agent__V1__AgentMessage *resp);

/* Sends msg (its id is assigned here) and calls cb once. A conn that is
 * not live takes only the Ping of a duplicate probe; anything else ends
 * at once with UNAVAILABLE. Returns 0, or -1 when cb already ran. */
int requests_send(conn *c, Agent__V1__ServerMessage *msg, int timeout_ms, requests_reply_fn cb, void *arg);

/* An agent message that answers a request of ours (by payload kind). */
int requests_is_response(Agent__V1__AgentMessage__PayloadCase pc);
/* Hands msg (taken) to the request it answers; 0, or -1 when it matches
 * none (msg is freed). */
int requests_answer(conn *c, Agent__V1__AgentMessage *msg);
/* Ends request id with code and message; 0, or -1 when none waits. */
int requests_cancel(conn *c, uint32_t id, int code, const char *message);
/* Ends every request of c with code and message. */
void requests_fail_all(conn *c, int code, const char *message);
/* Ends the requests of c whose deadline passed. */
void requests_expire(conn *c, int64_t now_ms);

/* Sends m without waiting: an answer to the agent's own request id. */
void requests_reply(conn *c, uint32_t id, Agent__V1__ServerMessage *m);

#endif
