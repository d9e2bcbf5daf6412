#include "lib/sidecarconfig/render.h"

#include <yaml-cpp/yaml.h>

namespace mailroom::sidecarconfig {
namespace {

using YAML::BeginMap;
using YAML::BeginSeq;
using YAML::EndMap;
using YAML::EndSeq;
using YAML::Key;
using YAML::Value;

void str(YAML::Emitter& out, const char* key, const std::string& value) {
  out << Key << key << Value << YAML::DoubleQuoted << value;
}

void strings(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
  out << Key << key << Value << YAML::Flow << BeginSeq;
  for (const auto& v : values) out << YAML::DoubleQuoted << v;
  out << EndSeq;
}

void integer(YAML::Emitter& out, const char* key, int64_t value) {
  out << Key << key << Value << static_cast<long long>(value);
}

void duration(YAML::Emitter& out, const char* key, std::chrono::milliseconds d) {
  out << Key << key << Value << YAML::DoubleQuoted << formatDuration(d);
}

// "2.5%", "5%", "0.01%".
std::string formatPercent(int basisPoints) {
  std::string s = std::to_string(basisPoints / 100);
  if (int frac = basisPoints % 100) {
    s += "." + std::to_string(frac / 10);
    if (frac % 10) s += std::to_string(frac % 10);
  }
  return s + "%";
}

void renderDirect(YAML::Emitter& out, const DirectTransport& d) {
  out << Key << "direct" << Value << BeginMap;
  str(out, "addressFamily", addressFamilyWord(d.family));
  if (d.family.both()) str(out, "preferredFamily", familyName(d.family.preferred));
  if (!d.sourceAddresses.empty()) strings(out, "sourceAddresses", d.sourceAddresses);
  if (!d.ehloHostname.empty()) str(out, "ehloHostname", d.ehloHostname);
  out << Key << "tls" << Value << BeginMap;
  str(out, "policy", tlsPolicyName(d.tls));
  out << EndMap;
  integer(out, "port", d.port);
  if (!d.nextHop.empty()) str(out, "nextHop", d.nextHop);
  if (d.rememberRejectedFamily) duration(out, "rememberRejectedFamily", *d.rememberRejectedFamily);
  out << EndMap;
}

void renderRelay(YAML::Emitter& out, const RelayTransport& r) {
  out << Key << "relay" << Value << BeginMap;
  str(out, "host", r.host);
  integer(out, "port", r.port);
  str(out, "tls", r.tls == TlsPolicy::kImplicit ? "implicit" : "starttls");
  if (r.credentials) {
    out << Key << "credentials" << Value << BeginMap;
    str(out, "usernameFile", r.credentials->usernameFile.string());
    str(out, "passwordFile", r.credentials->passwordFile.string());
    out << EndMap;
  }
  if (!r.caFile.empty()) str(out, "caFile", r.caFile.string());
  out << EndMap;
}

void renderTransport(YAML::Emitter& out, const Transport& t) {
  out << BeginMap;
  str(out, "name", t.name);
  if (const auto* d = t.direct()) renderDirect(out, *d);
  if (const auto* r = t.relay()) renderRelay(out, *r);
  if (!t.routes.empty()) {
    out << Key << "routes" << Value << BeginSeq;
    for (const auto& r : t.routes) {
      out << BeginMap;
      strings(out, "domains", r.domains);
      integer(out, "priority", r.priority);
      out << EndMap;
    }
    out << EndSeq;
  }
  if (!t.perDestination.empty()) {
    out << Key << "limits" << Value << BeginMap << Key << "perDestination" << Value << BeginSeq;
    for (const auto& l : t.perDestination) {
      out << BeginMap;
      str(out, "domain", l.domain);
      if (l.messagesPerMinute) integer(out, "messagesPerMinute", *l.messagesPerMinute);
      if (l.maxConnections) integer(out, "maxConnections", *l.maxConnections);
      if (l.deliveriesPerConnection)
        integer(out, "deliveriesPerConnection", *l.deliveriesPerConnection);
      if (l.maxRecipientsPerTransaction)
        integer(out, "maxRecipientsPerTransaction", *l.maxRecipientsPerTransaction);
      out << EndMap;
    }
    out << EndSeq << EndMap;
  }
  if (!t.warmup.empty()) {
    out << Key << "warmup" << Value << BeginMap << Key << "schedule" << Value << BeginSeq;
    for (const auto& w : t.warmup) {
      out << YAML::Flow << BeginMap;
      integer(out, "day", w.day);
      integer(out, "messagesPerDay", w.messagesPerDay);
      out << EndMap;
    }
    out << EndSeq << EndMap;
  }
  if (t.pause) {
    out << Key << "pause" << Value << BeginMap;
    str(out, "bounceRateThreshold", formatPercent(t.pause->bounceRateThresholdBasisPoints));
    duration(out, "window", t.pause->window);
    integer(out, "minMessages", t.pause->minMessages);
    out << EndMap;
  }
  if (!t.responseRules.empty()) {
    out << Key << "responseRules" << Value << BeginSeq;
    for (const auto& r : t.responseRules) {
      out << BeginMap;
      str(out, "name", r.name);
      if (!r.codes.empty()) {
        out << Key << "codes" << Value << YAML::Flow << BeginSeq;
        for (int c : r.codes) out << c;
        out << EndSeq;
      }
      if (!r.enhanced.empty()) str(out, "enhanced", r.enhanced);
      if (!r.text.empty()) str(out, "text", r.text);
      if (!r.mxSuffix.empty()) str(out, "mxSuffix", r.mxSuffix);
      str(out, "action", r.action);
      if (r.duration.count()) duration(out, "duration", r.duration);
      out << EndMap;
    }
    out << EndSeq;
  }
  out << Key << "retry" << Value << BeginMap;
  duration(out, "initialBackoff", t.retry.initialBackoff);
  duration(out, "maxBackoff", t.retry.maxBackoff);
  duration(out, "queueLifetime", t.retry.queueLifetime);
  out << EndMap;
  out << EndMap;
}

}  // namespace

std::string formatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string s;
  auto part = [&](int64_t unit, const char* suffix) {
    if (ms >= unit) {
      s += std::to_string(ms / unit) + suffix;
      ms %= unit;
    }
  };
  part(3'600'000, "h");
  part(60'000, "m");
  part(1000, "s");
  part(1, "ms");
  return s;
}

std::string render(const SidecarConfig& c) {
  YAML::Emitter out;
  out << BeginMap;
  str(out, "apiVersion", "mailroom.dev/v1alpha1");
  str(out, "kind", "SidecarConfig");
  out << Key << "listen" << Value << BeginMap;
  strings(out, "grpc", c.grpcListen);
  str(out, "metrics", c.metricsListen);
  // Written only when set, so that the operator's render of a default config does not change.
  if (c.exposeMetrics) out << Key << "exposeMetrics" << Value << true;
  out << EndMap;
  out << Key << "spool" << Value << BeginMap;
  str(out, "directory", c.spoolDirectory.string());
  integer(out, "maxMessageBytes", static_cast<int64_t>(c.maxMessageBytes));
  out << EndMap;
  str(out, "hostname", c.hostname);
  out << Key << "dns" << Value << BeginMap;
  if (!c.resolvers.empty()) strings(out, "resolvers", c.resolvers);
  duration(out, "timeout", c.dnsTimeout);
  integer(out, "tries", c.dnsTries);
  out << EndMap;
  out << Key << "delivery" << Value << BeginMap;
  integer(out, "concurrency", c.delivery.concurrency);
  out << EndMap;
  out << Key << "dkim" << Value << BeginMap;
  out << Key << "required" << Value << c.dkim.required;
  if (!c.dkim.keys.empty()) {
    out << Key << "keys" << Value << BeginSeq;
    for (const auto& k : c.dkim.keys) {
      out << BeginMap;
      str(out, "domain", k.domain);
      str(out, "selector", k.selector);
      str(out, "algorithm", k.algorithm);
      str(out, "keyFile", k.keyFile);
      out << EndMap;
    }
    out << EndSeq;
  }
  out << EndMap;
  out << Key << "transports" << Value << BeginSeq;
  for (const auto& t : c.transports) renderTransport(out, t);
  out << EndSeq;
  out << EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace mailroom::sidecarconfig
