// Mapping between the public API (proto/mailroom/v1/sender.proto) and the sidecar's own types:
// requests into compose inputs, spooled envelopes into Message replies. Pure functions.
#pragma once

#include "mailroom/v1/sender.pb.h"
#include "sidecar/compose/compose.h"
#include "sidecar/spool/envelope.h"

namespace mailroom::grpcapi {

compose::Structured toStructured(const v1::StructuredMessage& m);
compose::EnvelopeInput toEnvelopeInput(const v1::SendRequest& request);
void toProto(const spool::Envelope& envelope, v1::Message* out);

}  // namespace mailroom::grpcapi
