#include "sidecar/delivery/outcome_subscribers.h"

#include <chrono>
#include <string>

#include "lib/log/log.h"

namespace mailroom::delivery {
namespace {

const char* familyLabel(std::optional<AddressFamily> f) {
  if (!f) return "none";
  return *f == AddressFamily::kIpv4 ? "ipv4" : "ipv6";
}

// The class of the reply a row records, as counted by mailroom_smtp_replies_total: rows of
// connection failures without a reply count nothing.
const char* replyClass(const spool::Attempt& row) {
  if (row.outcome == "delivered") return "2xx";
  if (row.outcome == "bounced" || row.outcome == "family-fallback") return "5xx";
  return row.reply.code ? "4xx" : nullptr;
}

}  // namespace

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kDeferred:
      return "deferred";
    case Outcome::kBounced:
      return "bounced";
  }
  return "?";
}

OutcomeMetrics::OutcomeMetrics(metrics::Registry& metrics) : metrics_(metrics) {
  metrics_.describe("mailroom_delivered_total", "counter",
                    "Recipients delivered, by destination domain and address family.");
  metrics_.describe("mailroom_deferred_total", "counter",
                    "Recipient delivery attempts deferred, by destination domain and family.");
  metrics_.describe("mailroom_bounced_total", "counter",
                    "Recipients bounced, by destination domain and address family.");
  metrics_.describe("mailroom_family_fallback_total", "counter",
                    "Retries over the other address family after a PTR rejection.");
  metrics_.describe("mailroom_delivery_seconds", "histogram",
                    "Time from acceptance to delivery of a recipient.");
  metrics_.describe("mailroom_smtp_replies_total", "counter", "SMTP replies by class.");
}

void OutcomeMetrics::onOutcome(const RecipientOutcome& o) {
  for (const auto& row : o.rows) {
    if (const char* c = replyClass(row))
      metrics_.inc("mailroom_smtp_replies_total", {{"class", c}});
    if (row.outcome == "family-fallback")
      metrics_.inc("mailroom_family_fallback_total",
                   {{"from", row.family ? familyName(*row.family) : "?"}});
  }
  // The family of the last try, so that bounces over IPv6 show as such ("none": no target).
  metrics::Labels labels{{"domain", std::string(o.destination)}, {"family", familyLabel(o.family)}};
  switch (o.outcome) {
    case Outcome::kDelivered:
      metrics_.inc("mailroom_delivered_total", labels);
      metrics_.observe("mailroom_delivery_seconds", {},
                       std::chrono::duration<double>(o.at - o.acceptedAt).count());
      break;
    case Outcome::kBounced:
      metrics_.inc("mailroom_bounced_total", labels);
      break;
    case Outcome::kDeferred:
      metrics_.inc("mailroom_deferred_total", labels);
      break;
  }
}

void OutcomeLog::onOutcome(const RecipientOutcome& o) {
  switch (o.outcome) {
    case Outcome::kDelivered:
      log::info("delivered", {{"id", o.messageId},
                              {"rcpt_domain", o.destination},
                              {"mx", o.mxHost},
                              {"ip", o.ip},
                              {"source_ip", o.sourceIp},
                              {"code", o.reply->code},
                              {"summary", o.summary}});
      break;
    case Outcome::kBounced:
      log::warn("bounced", {{"id", o.messageId},
                            {"rcpt_domain", o.destination},
                            {"code", o.reply->code},
                            {"enhanced", o.reply->enhanced},
                            {"summary", o.summary},
                            {"class", classificationName(o.classification)}});
      break;
    case Outcome::kDeferred:
      log::info("deferred", {{"id", o.messageId},
                             {"rcpt_domain", o.destination},
                             {"code", o.reply->code},
                             {"summary", o.summary},
                             {"class", classificationName(o.classification)}});
      break;
  }
}

}  // namespace mailroom::delivery
