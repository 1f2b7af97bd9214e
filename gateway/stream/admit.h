/* admit: admission of a new pmm-agent stream in the gateway. The connect
 * metadata is read as upstream's ReceiveAgentConnectMetadata does, then
 * the credentials are checked like any gRPC call's on one of a few
 * admission threads (a check may ask inventoryd), and an admitted stream
 * is announced to agentsd with OPEN. */
#ifndef GATEWAY_STREAM_ADMIT_H
#define GATEWAY_STREAM_ADMIT_H

#include <grpc/grpc.h>

int admit_start(void);
void admit_stop(void);

/* A new Connect call, taken over (see agent_stream_accept). */
void admit_accept(grpc_call *call, const grpc_metadata_array *md, const char *method, void (*done)(void *),
                  void *done_arg);

#endif
