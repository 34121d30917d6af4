/*
 * dlc_rpc_trace: the core's span of one RPC call (kind SERVER), child of
 * the caller's `traceparent` metadata (the gateway's span), named after
 * the full method, with rpc.system=dlc, rpc.service, rpc.method and
 * rpc.dlc.status_code. The server loop calls begin once the envelope is
 * decoded and end once the outcome is known; the ids are in call->trace for
 * the per-call log line and for handlers.
 */
#ifndef DLC_RPC_TRACE_H
#define DLC_RPC_TRACE_H

#include "common/tracer.h"
#include "rpc/runtime/call.h"

/* tracer NULL: ids only (nothing sampled or exported). */
void dlc_rpc_trace_begin(const dlc_tracer *tracer, dlc_call *call);
void dlc_rpc_trace_end(dlc_tracer *tracer, const dlc_call *call);

#endif
