#include "operator/api/v1alpha1/transport.h"

namespace mailroom::api {
namespace {

struct DirectTls {
  std::string policy = "opportunistic";
};
void decodeFields(FieldReader& r, DirectTls& v) {
  r.optional("policy", v.policy);
}
void encodeFields(FieldWriter& w, const DirectTls& v) {
  w.field("policy", v.policy);
}

struct Limits {
  std::vector<DestinationLimits> perDestination;
};
void decodeFields(FieldReader& r, Limits& v) {
  r.optional("perDestination", v.perDestination);
}
void encodeFields(FieldWriter& w, const Limits& v) {
  w.field("perDestination", v.perDestination);
}

struct Warmup {
  std::vector<WarmupDay> schedule;
};
void decodeFields(FieldReader& r, Warmup& v) {
  r.required("schedule", v.schedule);
}
void encodeFields(FieldWriter& w, const Warmup& v) {
  w.always("schedule", v.schedule);
}

}  // namespace

std::vector<std::string> TransportSpec::sourceAddresses() const {
  if (mode != TransportMode::kDirect || !direct) return {};
  return direct->sourceAddresses;
}

void decodeFields(FieldReader& r, DirectSpec& v) {
  std::string family = "Any";
  r.optional("addressFamily", family);
  if (family == "Any") {
    v.family.only.reset();
  } else if (auto f = parseFamily(family)) {
    v.family.only = *f;
  } else {
    r.fail("addressFamily", "unknown value \"" + family + "\" (want IPv4, IPv6, Any)");
  }
  r.optional("preferredFamily", v.family.preferred);
  r.optional("sourceAddresses", v.sourceAddresses);
  r.optional("ehloHostname", v.ehloHostname);
  std::optional<DirectTls> tls;
  r.optional("tls", tls);
  if (tls) {
    auto p = parseTlsPolicy(tls->policy);
    if (!p || *p == TlsPolicy::kImplicit)
      r.fail("tls.policy",
             "unknown value \"" + tls->policy + "\" (want opportunistic, required, none)");
    else
      v.tls = *p;
  }
  r.optional("port", v.port);
  r.optional("rememberRejectedFamily", v.rememberRejectedFamily);
}
void encodeFields(FieldWriter& w, const DirectSpec& v) {
  w.field("addressFamily", std::string(addressFamilyWord(v.family)));
  w.field("preferredFamily", v.family.preferred);
  w.field("sourceAddresses", v.sourceAddresses);
  w.field("ehloHostname", v.ehloHostname);
  w.field("tls", DirectTls{tlsPolicyName(v.tls)});
  w.field("port", v.port);
  w.field("rememberRejectedFamily", v.rememberRejectedFamily);
}

void decodeFields(FieldReader& r, RelayCredentialsRef& v) {
  r.required("name", v.name);
  r.optional("usernameKey", v.usernameKey);
  r.optional("passwordKey", v.passwordKey);
}
void encodeFields(FieldWriter& w, const RelayCredentialsRef& v) {
  w.field("name", v.name);
  w.field("usernameKey", v.usernameKey);
  w.field("passwordKey", v.passwordKey);
}

void decodeFields(FieldReader& r, RelaySpec& v) {
  r.required("host", v.host);
  r.optional("port", v.port);
  std::string tls = "starttls";
  r.optional("tls", tls);
  if (tls == "starttls")
    v.tls = TlsPolicy::kRequired;
  else if (tls == "implicit")
    v.tls = TlsPolicy::kImplicit;
  else
    r.fail("tls", "unknown value \"" + tls + "\" (want starttls, implicit)");
  r.optional("credentialsSecretRef", v.credentialsSecretRef);
}
void encodeFields(FieldWriter& w, const RelaySpec& v) {
  w.field("host", v.host);
  w.field("port", v.port);
  w.field("tls", std::string(v.tls == TlsPolicy::kImplicit ? "implicit" : "starttls"));
  w.field("credentialsSecretRef", v.credentialsSecretRef);
}

void decodeFields(FieldReader& r, RouteSpec& v) {
  r.required("domains", v.domains);
  r.optional("priority", v.priority);
}
void encodeFields(FieldWriter& w, const RouteSpec& v) {
  w.field("domains", v.domains);
  w.field("priority", v.priority);
}

void decodeFields(FieldReader& r, DestinationLimits& v) {
  r.required("domain", v.domain);
  r.optional("messagesPerMinute", v.messagesPerMinute);
  r.optional("maxConnections", v.maxConnections);
  r.optional("deliveriesPerConnection", v.deliveriesPerConnection);
  r.optional("maxRecipientsPerTransaction", v.maxRecipientsPerTransaction);
}
void encodeFields(FieldWriter& w, const DestinationLimits& v) {
  w.field("domain", v.domain);
  w.field("messagesPerMinute", v.messagesPerMinute);
  w.field("maxConnections", v.maxConnections);
  w.field("deliveriesPerConnection", v.deliveriesPerConnection);
  w.field("maxRecipientsPerTransaction", v.maxRecipientsPerTransaction);
}

void decodeFields(FieldReader& r, WarmupDay& v) {
  r.required("day", v.day);
  r.required("messagesPerDay", v.messagesPerDay);
}
void encodeFields(FieldWriter& w, const WarmupDay& v) {
  w.field("day", v.day);
  w.field("messagesPerDay", v.messagesPerDay);
}

void decodeFields(FieldReader& r, ResponseRuleSpec& v) {
  r.required("name", v.name);
  r.optional("codes", v.codes);
  r.optional("enhanced", v.enhanced);
  r.optional("text", v.text);
  r.optional("mxSuffix", v.mxSuffix);
  r.required("action", v.action);
  r.optional("duration", v.duration);
}
void encodeFields(FieldWriter& w, const ResponseRuleSpec& v) {
  w.field("name", v.name);
  w.field("codes", v.codes);
  w.field("enhanced", v.enhanced);
  w.field("text", v.text);
  w.field("mxSuffix", v.mxSuffix);
  w.field("action", v.action);
  w.field("duration", v.duration);
}

void decodeFields(FieldReader& r, PauseSpec& v) {
  r.required("bounceRateThreshold", v.bounceRateThreshold);
  r.optional("window", v.window);
  r.optional("minMessages", v.minMessages);
}
void encodeFields(FieldWriter& w, const PauseSpec& v) {
  w.field("bounceRateThreshold", v.bounceRateThreshold);
  w.field("window", v.window);
  w.field("minMessages", v.minMessages);
}

void decodeFields(FieldReader& r, RetrySpec& v) {
  r.optional("initialBackoff", v.initialBackoff);
  r.optional("maxBackoff", v.maxBackoff);
  r.optional("queueLifetime", v.queueLifetime);
}
void encodeFields(FieldWriter& w, const RetrySpec& v) {
  w.field("initialBackoff", v.initialBackoff);
  w.field("maxBackoff", v.maxBackoff);
  w.field("queueLifetime", v.queueLifetime);
}

void decodeFields(FieldReader& r, TransportSpec& v) {
  r.required("mode", v.mode);
  r.optional("direct", v.direct);
  r.optional("relay", v.relay);
  r.optional("routes", v.routes);
  std::optional<Limits> limits;
  r.optional("limits", limits);
  if (limits) v.perDestination = std::move(limits->perDestination);
  std::optional<Warmup> warmup;
  r.optional("warmup", warmup);
  if (warmup) v.warmup = std::move(warmup->schedule);
  r.optional("pause", v.pause);
  r.optional("responseRules", v.responseRules);
  r.optional("retry", v.retry);
  if (v.mode == TransportMode::kDirect && v.relay) r.fail("relay", "forbidden with mode direct");
  if (v.mode == TransportMode::kRelay && v.direct) r.fail("direct", "forbidden with mode relay");
  if (v.mode == TransportMode::kRelay && !v.relay) r.fail("relay", "required with mode relay");
}
void encodeFields(FieldWriter& w, const TransportSpec& v) {
  w.field("mode", v.mode);
  w.field("direct", v.direct);
  w.field("relay", v.relay);
  w.field("routes", v.routes);
  if (!v.perDestination.empty()) w.field("limits", Limits{v.perDestination});
  if (!v.warmup.empty()) w.field("warmup", Warmup{v.warmup});
  w.field("pause", v.pause);
  w.field("responseRules", v.responseRules);
  w.field("retry", v.retry);
}

void decodeFields(FieldReader& r, LastFailure& v) {
  r.optional("time", v.time);
  r.optional("reply", v.reply);
  r.optional("classification", v.classification);
  r.optional("family", v.family);
  r.optional("sourceIP", v.sourceIP);
  r.optional("receiverQuotedIP", v.receiverQuotedIP);
}
void encodeFields(FieldWriter& w, const LastFailure& v) {
  w.field("time", v.time);
  w.field("reply", v.reply);
  w.field("classification", v.classification);
  w.field("family", v.family);
  w.field("sourceIP", v.sourceIP);
  w.field("receiverQuotedIP", v.receiverQuotedIP);
}

void decodeFields(FieldReader& r, DestinationStatus& v) {
  r.required("domain", v.domain);
  r.optional("delivered", v.delivered);
  r.optional("deferred", v.deferred);
  r.optional("bounced", v.bounced);
  r.optional("paused", v.paused);
  r.optional("lastFailure", v.lastFailure);
}
void encodeFields(FieldWriter& w, const DestinationStatus& v) {
  w.field("domain", v.domain);
  w.field("delivered", v.delivered);
  w.field("deferred", v.deferred);
  w.field("bounced", v.bounced);
  w.field("paused", v.paused);
  w.field("lastFailure", v.lastFailure);
}

void decodeFields(FieldReader& r, TransportStatus& v) {
  r.optional("observedGeneration", v.observedGeneration);
  r.optional("conditions", v.conditions);
  r.optional("delivered", v.delivered);
  r.optional("deferred", v.deferred);
  r.optional("bounced", v.bounced);
  r.optional("perDestination", v.perDestination);
}
void encodeFields(FieldWriter& w, const TransportStatus& v) {
  if (v.observedGeneration) w.field("observedGeneration", v.observedGeneration);
  w.field("conditions", v.conditions);
  w.field("delivered", v.delivered);
  w.field("deferred", v.deferred);
  w.field("bounced", v.bounced);
  w.field("perDestination", v.perDestination);
}

void decodeFields(FieldReader& r, Transport& v) {
  decodeResourceFields(r, v);
}
void encodeFields(FieldWriter& w, const Transport& v) {
  encodeResourceFields(w, v);
}

}  // namespace mailroom::api
