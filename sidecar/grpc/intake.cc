#include "sidecar/grpc/intake.h"

#include "lib/log/log.h"
#include "sidecar/compose/compose.h"
#include "sidecar/grpc/convert.h"

namespace mailroom::grpcapi {

Intake::Intake(Deps deps) : deps_(std::move(deps)) {
  deps_.metrics.describe("mailroom_accepted_total", "counter", "Messages accepted and spooled.");
  deps_.metrics.describe("mailroom_rejected_total", "counter",
                         "Send requests refused, by reason (invalid, internal).");
}

Result<v1::SendResponse> Intake::send(const v1::SendRequest& request) {
  auto config = deps_.config();
  compose::Options options;
  options.hostname = config->hostname;
  options.now = deps_.now();
  options.maxMessageBytes = config->maxMessageBytes;
  auto envelopeInput = toEnvelopeInput(request);

  Result<compose::Composed> composed = Error::invalidArgument("content: set raw or structured");
  if (request.has_structured()) {
    composed =
        compose::composeStructured(toStructured(request.structured()), envelopeInput, options);
  } else if (request.content_case() == v1::SendRequest::kRaw) {
    composed = compose::composeRaw(request.raw(), envelopeInput, options);
  }
  if (!composed.ok()) {
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", "invalid"}});
    return composed.error();
  }

  spool::Envelope env;
  env.mailFrom = composed->mailFrom;
  env.idempotencyKey = request.idempotency_key();
  env.acceptedAt = options.now;
  env.needsSmtpUtf8 = composed->needsSmtpUtf8;
  env.eightBit = composed->eightBit;
  env.fromDomain = composed->fromDomain;
  env.messageId = composed->messageId;
  for (const auto& rcpt : composed->recipients) {
    spool::Recipient r;
    r.address = rcpt;
    r.nextAttempt = options.now;
    env.recipients.push_back(std::move(r));
  }

  std::string message = std::move(composed->message);
  if (deps_.sign) {
    auto sig = deps_.sign(message, composed->fromDomain);
    if (!sig.ok()) {
      deps_.metrics.inc("mailroom_rejected_total", {{"reason", "unsigned"}});
      return sig.error();
    }
    message.insert(0, sig->headers);
    env.notes["dkim"] = sig->note;
  }
  if (message.size() > config->maxMessageBytes) {
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", "invalid"}});
    return Error::invalidArgument("message: " + std::to_string(message.size()) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(config->maxMessageBytes));
  }
  env.size = message.size();

  auto accepted = deps_.spool.accept(std::move(env), message);
  if (!accepted.ok()) {
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", "internal"}});
    log::error("spool accept failed", {{"error", accepted.error().message}});
    return accepted.error();
  }
  v1::SendResponse response;
  response.set_id(accepted->id);
  response.set_duplicate(accepted->duplicate);
  response.set_message_id(accepted->envelope.messageId);
  for (const auto& r : accepted->envelope.recipients) response.add_recipients(r.address);
  if (!accepted->duplicate) {
    deps_.metrics.inc("mailroom_accepted_total");
    log::info("accepted", {{"id", accepted->id},
                           {"recipients", static_cast<int>(accepted->envelope.recipients.size())},
                           {"size", static_cast<unsigned long>(accepted->envelope.size)}});
    deps_.accepted(accepted->id);
  }
  return response;
}

Result<v1::Message> Intake::get(const std::string& id) const {
  auto env = deps_.spool.find(id);
  if (!env) return Error::notFound("no message with id \"" + id + "\"");
  v1::Message m;
  toProto(*env, &m);
  return m;
}

}  // namespace mailroom::grpcapi
