#include "sidecar/grpc/intake.h"

#include <future>

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
  std::promise<Result<v1::SendResponse>> result;
  auto future = result.get_future();
  sendAsync(request, [&result](Result<v1::SendResponse> r) { result.set_value(std::move(r)); });
  return future.get();
}

void Intake::sendAsync(const v1::SendRequest& request, SendDone done) {
  auto prepared = prepare(request);
  if (!prepared.ok()) {
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", "invalid"}});
    return done(prepared.error());
  }
  auto shared = std::make_shared<Prepared>(std::move(prepared.value()));
  if (shared->sign && deps_.offload) {
    deps_.offload([this, shared, done = std::move(done)]() mutable {
      signAndSpool(std::move(shared), std::move(done));
    });
    return;
  }
  signAndSpool(std::move(shared), std::move(done));
}

Result<Intake::Prepared> Intake::prepare(const v1::SendRequest& request) {
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
  if (!composed.ok()) return composed.error();

  Prepared out;
  spool::Envelope& env = out.envelope;
  env.mailFrom = composed->mailFrom;
  env.idempotencyKey = request.idempotency_key();
  env.acceptedAt = options.now;
  env.needsSmtpUtf8 = composed->needsSmtpUtf8;
  env.eightBit = composed->eightBit;
  env.fromDomain = composed->fromDomain;
  env.messageId = composed->messageId;
  for (auto& rcpt : composed->recipients) {
    spool::Recipient r;
    r.address = std::move(rcpt);
    r.nextAttempt = options.now;
    env.recipients.push_back(std::move(r));
  }
  out.message = std::move(composed->message);
  out.maxMessageBytes = config->maxMessageBytes;
  out.sign = deps_.sign && deps_.signs && deps_.signs(composed->fromDomain);
  return out;
}

void Intake::signAndSpool(std::shared_ptr<Prepared> prepared, SendDone done) {
  spool::Envelope& env = prepared->envelope;
  std::string& message = prepared->message;
  // Always asked, also without a key: the signer reports "unsigned" or refuses when required.
  if (deps_.sign) {
    auto sig = deps_.sign(message, env.fromDomain);
    if (!sig.ok()) {
      deps_.metrics.inc("mailroom_rejected_total", {{"reason", "unsigned"}});
      return done(sig.error());
    }
    message.insert(0, sig->headers);
    env.notes["dkim"] = sig->note;
  }
  if (message.size() > prepared->maxMessageBytes) {
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", "invalid"}});
    return done(Error::invalidArgument("message: " + std::to_string(message.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(prepared->maxMessageBytes)));
  }
  env.size = message.size();
  deps_.spool.acceptAsync(std::move(env), std::move(message),
                          [this, done = std::move(done)](Result<spool::Spool::Accepted> r) {
                            spooled(std::move(r), done);
                          });
}

void Intake::spooled(Result<spool::Spool::Accepted> accepted, const SendDone& done) {
  if (!accepted.ok()) {
    const bool invalid = accepted.error().kind == ErrorKind::kInvalidArgument;
    deps_.metrics.inc("mailroom_rejected_total", {{"reason", invalid ? "invalid" : "internal"}});
    if (!invalid) log::error("spool accept failed", {{"error", accepted.error().message}});
    return done(accepted.error());
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
  done(std::move(response));
}

Result<v1::Message> Intake::get(const std::string& id) const {
  auto env = deps_.spool.find(id);
  if (!env) return Error::notFound("no message with id \"" + id + "\"");
  v1::Message m;
  toProto(*env, &m);
  return m;
}

}  // namespace mailroom::grpcapi
