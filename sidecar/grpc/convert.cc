#include "sidecar/grpc/convert.h"

#include <google/protobuf/util/time_util.h>

namespace mailroom::grpcapi {
namespace {

void setTime(spool::TimePoint t, google::protobuf::Timestamp* out) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  *out = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(ns);
}

v1::RecipientState toProto(spool::RecipientState s) {
  switch (s) {
    case spool::RecipientState::kQueued:
      return v1::QUEUED;
    case spool::RecipientState::kDeferred:
      return v1::DEFERRED;
    case spool::RecipientState::kDelivered:
      return v1::DELIVERED;
    case spool::RecipientState::kBounced:
      return v1::BOUNCED;
  }
  return v1::RECIPIENT_STATE_UNSPECIFIED;
}

v1::AddressFamily toProto(std::optional<AddressFamily> f) {
  if (!f) return v1::ADDRESS_FAMILY_UNSPECIFIED;
  return *f == AddressFamily::kIpv4 ? v1::IPV4 : v1::IPV6;
}

void toProto(const spool::Reply& r, v1::Reply* out) {
  out->set_code(r.code);
  out->set_enhanced(r.enhanced);
  out->set_text(r.text);
}

}  // namespace

compose::Structured toStructured(const v1::StructuredMessage& m) {
  compose::Structured s;
  s.from = m.from();
  s.replyTo = m.reply_to();
  s.to.assign(m.to().begin(), m.to().end());
  s.cc.assign(m.cc().begin(), m.cc().end());
  s.bcc.assign(m.bcc().begin(), m.bcc().end());
  s.subject = m.subject();
  s.text = m.text();
  s.html = m.html();
  for (const auto& h : m.headers()) s.headers.emplace_back(h.name(), h.value());
  for (const auto& a : m.attachments()) {
    compose::Attachment att;
    att.filename = a.filename();
    att.contentType = a.content_type();
    att.content = a.content();
    att.contentId = a.content_id();
    s.attachments.push_back(std::move(att));
  }
  return s;
}

compose::EnvelopeInput toEnvelopeInput(const v1::SendRequest& request) {
  compose::EnvelopeInput e;
  if (request.has_envelope()) {
    const auto& env = request.envelope();
    e.hasMailFrom = env.has_mail_from() || !env.mail_from().empty();
    e.mailFrom = env.mail_from();
    e.rcptTo.assign(env.rcpt_to().begin(), env.rcpt_to().end());
  }
  return e;
}

void toProto(const spool::Envelope& envelope, v1::Message* out) {
  out->set_id(envelope.id);
  out->set_mail_from(envelope.mailFrom);
  out->set_message_id(envelope.messageId);
  setTime(envelope.acceptedAt, out->mutable_accepted_at());
  out->set_size(envelope.size);
  for (const auto& [k, v] : envelope.notes) (*out->mutable_notes())[k] = v;
  for (const auto& r : envelope.recipients) {
    auto* pr = out->add_recipients();
    pr->set_address(r.address);
    pr->set_state(toProto(r.state));
    toProto(r.lastReply, pr->mutable_last_reply());
    if (r.state == spool::RecipientState::kQueued || r.state == spool::RecipientState::kDeferred)
      setTime(r.nextAttempt, pr->mutable_next_attempt());
    pr->set_attempts(r.attempts);
    pr->set_mx_host(r.mxHost);
    pr->set_ip(r.ip);
    pr->set_family(toProto(r.family));
    pr->set_source_ip(r.sourceIp);
    pr->set_summary(r.summary);
    for (const auto& a : r.history) {
      auto* pa = pr->add_history();
      setTime(a.at, pa->mutable_at());
      pa->set_mx_host(a.mxHost);
      pa->set_ip(a.ip);
      pa->set_family(toProto(a.family));
      pa->set_source_ip(a.sourceIp);
      toProto(a.reply, pa->mutable_reply());
      pa->set_outcome(a.outcome);
      pa->set_note(a.note);
    }
  }
}

}  // namespace mailroom::grpcapi
