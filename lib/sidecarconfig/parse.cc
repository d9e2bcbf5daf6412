#include "lib/sidecarconfig/parse.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "lib/common/asio.h"
#include "lib/dns/resolver.h"
#include "lib/sidecarconfig/destination.h"

namespace mailroom::sidecarconfig {
namespace {

// Decoding errors carry the path of the field and its line; thrown inside the decoder only and
// turned into a Result at parseConfig's edge.
struct DecodeError {
  std::string message;
};

// Keys of earlier drafts of the file, with where their setting lives now.
const std::map<std::string, std::string>& movedKeys() {
  static const std::map<std::string, std::string> moved{
      {"routes", "routes are per transport now: transports[].routes[].domains"},
      {"retry", "retry is per transport now: transports[].retry"},
      {"delivery.connectionsPerDestination",
       "now transports[].limits.perDestination[].maxConnections"},
      {"delivery.messagesPerConnection",
       "now transports[].limits.perDestination[].deliveriesPerConnection"},
  };
  return moved;
}

// YAML is Unicode text (YAML 1.2 §5.2); yaml-cpp passes invalid bytes through, and its emitter
// would replace them, so such a string could not round-trip.
bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

class Decoder {
 public:
  explicit Decoder(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    std::ostringstream out;
    out << source_;
    if (node.IsDefined() && node.Mark().line >= 0) out << ":" << node.Mark().line + 1;
    out << ": " << path << ": " << what;
    throw DecodeError{out.str()};
  }

  // Rejects keys the schema does not know (typos must not be silently ignored).
  void onlyKeys(const YAML::Node& map, const std::string& path,
                std::initializer_list<const char*> known) const {
    if (!map.IsMap()) fail(map, path, "must be a mapping");
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) fail(kv.first, path, "keys must be strings");
      auto key = kv.first.as<std::string>();
      // yaml-cpp keeps the first of two equal keys; a second one would be silently ignored.
      if (!seen.insert(key).second) fail(kv.first, join(path, key), "duplicate key");
      bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
      if (ok) continue;
      auto moved = movedKeys().find(join(path, key));
      fail(kv.first, join(path, key),
           moved == movedKeys().end() ? "unknown field" : "unknown field (" + moved->second + ")");
    }
  }

  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "must be a string");
    auto v = n.as<std::string>();
    if (!validUtf8(v)) fail(n, path, "must be valid UTF-8");
    return v;
  }

  int64_t integer(const YAML::Node& n, const std::string& path, int64_t lo, int64_t hi) const {
    if (!n.IsScalar()) fail(n, path, "must be an integer");
    int64_t v = 0;
    try {
      v = n.as<int64_t>();
    } catch (const YAML::Exception&) {
      fail(n, path, "must be an integer, got \"" + n.as<std::string>() + "\"");
    }
    if (v < lo || v > hi)
      fail(n, path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }

  bool boolean(const YAML::Node& n, const std::string& path) const {
    try {
      if (n.IsScalar()) return n.as<bool>();
    } catch (const YAML::Exception&) {
    }
    fail(n, path, "must be true or false");
  }

  std::chrono::milliseconds duration(const YAML::Node& n, const std::string& path) const {
    auto d = parseDuration(str(n, path));
    if (!d) fail(n, path, "must be a duration like \"30s\", \"5m\", \"1h\"");
    return *d;
  }
  std::chrono::seconds seconds(const YAML::Node& n, const std::string& path) const {
    return std::chrono::duration_cast<std::chrono::seconds>(duration(n, path));
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) return {str(n, path)};
    if (!n.IsSequence()) fail(n, path, "must be a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) out.push_back(str(n[i], index(path, i)));
    return out;
  }

  void list(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) fail(n, path, "must be a list");
  }

  std::string hostName(const YAML::Node& n, const std::string& path) const {
    auto v = str(n, path);
    if (!isDestinationPattern(v) || v.starts_with("*"))
      fail(n, path, "\"" + v + "\" is not a host name");
    return v;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

 private:
  std::string source_;
};

// addressFamily: "Any" leaves the policy's `only` unset.
std::optional<AddressFamily> decodeAddressFamily(const Decoder& d, const YAML::Node& n,
                                                 const std::string& path) {
  auto v = d.str(n, path);
  if (v == "Any") return std::nullopt;
  if (auto f = parseFamily(v)) return f;
  d.fail(n, path, "must be one of IPv4, IPv6, Any (got \"" + v + "\")");
}

DirectTransport decodeDirect(const Decoder& d, const YAML::Node& n, const std::string& path) {
  d.onlyKeys(n, path,
             {"addressFamily", "preferredFamily", "sourceAddresses", "ehloHostname", "tls", "port",
              "nextHop", "rememberRejectedFamily"});
  DirectTransport t;
  if (n["addressFamily"])
    t.family.only = decodeAddressFamily(d, n["addressFamily"], path + ".addressFamily");
  if (n["preferredFamily"]) {
    auto preferred = parseFamily(d.str(n["preferredFamily"], path + ".preferredFamily"));
    if (!preferred) d.fail(n["preferredFamily"], path + ".preferredFamily", "must be IPv4 or IPv6");
    t.family.preferred = *preferred;
    if (!t.family.both())
      d.fail(n["preferredFamily"], path + ".preferredFamily",
             "is only allowed with addressFamily: Any");
  }
  if (n["sourceAddresses"]) {
    auto list = d.strings(n["sourceAddresses"], path + ".sourceAddresses");
    bool v4 = false, v6 = false;
    for (size_t i = 0; i < list.size(); ++i) {
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(list[i], ec);
      auto p = Decoder::index(path + ".sourceAddresses", i);
      if (ec) d.fail(n["sourceAddresses"], p, "\"" + list[i] + "\" is not an IP address");
      bool& seen = addr.is_v4() ? v4 : v6;
      if (seen) d.fail(n["sourceAddresses"], p, "only one source address per family");
      seen = true;
      if (!t.family.allows(dns::familyOf(addr)))
        d.fail(n["sourceAddresses"], p,
               std::string("an ") + familyName(dns::familyOf(addr)) + " address on an " +
                   familyName(*t.family.only) + "-only transport");
      list[i] = addr.to_string();  // one spelling per address
    }
    t.sourceAddresses = list;
  }
  if (n["ehloHostname"]) t.ehloHostname = d.hostName(n["ehloHostname"], path + ".ehloHostname");
  if (n["tls"]) {
    d.onlyKeys(n["tls"], path + ".tls", {"policy"});
    if (!n["tls"]["policy"]) d.fail(n["tls"], path + ".tls.policy", "is required");
    auto policy = parseTlsPolicy(d.str(n["tls"]["policy"], path + ".tls.policy"));
    if (!policy || *policy == TlsPolicy::kImplicit)  // implicit TLS is the relay's
      d.fail(n["tls"]["policy"], path + ".tls.policy",
             "must be one of opportunistic, required, none");
    t.tls = *policy;
  }
  if (n["port"]) t.port = static_cast<uint16_t>(d.integer(n["port"], path + ".port", 1, 65535));
  if (n["rememberRejectedFamily"])
    t.rememberRejectedFamily =
        d.seconds(n["rememberRejectedFamily"], path + ".rememberRejectedFamily");
  if (n["nextHop"]) {
    t.nextHop = d.str(n["nextHop"], path + ".nextHop");
    if (!parseNextHop(t.nextHop, t.port))
      d.fail(n["nextHop"], path + ".nextHop", "must be [host] or [host]:port");
  }
  return t;
}

RelayTransport decodeRelay(const Decoder& d, const YAML::Node& n, const std::string& path) {
  d.onlyKeys(n, path, {"host", "port", "tls", "credentials", "caFile"});
  RelayTransport r;
  if (!n["host"]) d.fail(n, path + ".host", "is required");
  r.host = d.str(n["host"], path + ".host");
  boost::system::error_code ec;
  asio::ip::make_address(r.host, ec);
  if (ec) r.host = d.hostName(n["host"], path + ".host");
  if (n["port"]) r.port = static_cast<uint16_t>(d.integer(n["port"], path + ".port", 1, 65535));
  if (n["tls"]) {
    auto v = d.str(n["tls"], path + ".tls");
    if (v == "starttls")
      r.tls = TlsPolicy::kRequired;
    else if (v == "implicit")
      r.tls = TlsPolicy::kImplicit;
    else
      d.fail(n["tls"], path + ".tls", "must be starttls or implicit (got \"" + v + "\")");
  }
  if (auto c = n["credentials"]) {
    const std::string p = path + ".credentials";
    d.onlyKeys(c, p, {"usernameFile", "passwordFile"});
    for (const char* req : {"usernameFile", "passwordFile"})
      if (!c[req]) d.fail(c, p + "." + req, "is required");
    r.credentials = RelayCredentials{d.str(c["usernameFile"], p + ".usernameFile"),
                                     d.str(c["passwordFile"], p + ".passwordFile")};
  }
  if (n["caFile"]) r.caFile = d.str(n["caFile"], path + ".caFile");
  return r;
}

std::string pattern(const Decoder& d, const YAML::Node& n, const std::string& path) {
  auto v = d.str(n, path);
  if (!isDestinationPattern(v)) d.fail(n, path, "\"" + v + "\" is not a domain, *.domain or *");
  return dns::normalizeName(v);
}

std::vector<Route> decodeRoutes(const Decoder& d, const YAML::Node& n, const std::string& path) {
  d.list(n, path);
  std::vector<Route> routes;
  for (size_t i = 0; i < n.size(); ++i) {
    const auto p = Decoder::index(path, i);
    d.onlyKeys(n[i], p, {"domains", "priority"});
    Route r;
    const auto& domains = n[i]["domains"];
    if (!domains) d.fail(n[i], p + ".domains", "is required");
    if (domains.IsScalar()) {
      r.domains.push_back(pattern(d, domains, p + ".domains"));
    } else {
      d.list(domains, p + ".domains");
      if (domains.size() == 0) d.fail(domains, p + ".domains", "must name at least one domain");
      for (size_t j = 0; j < domains.size(); ++j)
        r.domains.push_back(pattern(d, domains[j], Decoder::index(p + ".domains", j)));
    }
    if (n[i]["priority"])
      r.priority = static_cast<int>(d.integer(n[i]["priority"], p + ".priority", 0, 1000));
    routes.push_back(std::move(r));
  }
  return routes;
}

std::vector<DestinationLimits> decodeLimits(const Decoder& d, const YAML::Node& n,
                                            const std::string& path) {
  d.onlyKeys(n, path, {"perDestination"});
  std::vector<DestinationLimits> out;
  const auto& list = n["perDestination"];
  if (!list) return out;
  const std::string lp = path + ".perDestination";
  d.list(list, lp);
  std::set<std::string> domains;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto p = Decoder::index(lp, i);
    const auto& e = list[i];
    d.onlyKeys(e, p,
               {"domain", "messagesPerMinute", "maxConnections", "deliveriesPerConnection",
                "maxRecipientsPerTransaction"});
    if (!e["domain"]) d.fail(e, p + ".domain", "is required");
    DestinationLimits l;
    l.domain = pattern(d, e["domain"], p + ".domain");
    if (!domains.insert(l.domain).second)
      d.fail(e["domain"], p + ".domain", "\"" + l.domain + "\" is listed twice");
    auto optInt = [&](const char* key, int64_t hi, std::optional<int>& out) {
      if (e[key]) out = static_cast<int>(d.integer(e[key], p + "." + key, 1, hi));
    };
    optInt("messagesPerMinute", 1000000, l.messagesPerMinute);
    optInt("maxConnections", 1000, l.maxConnections);
    optInt("deliveriesPerConnection", 10000, l.deliveriesPerConnection);
    optInt("maxRecipientsPerTransaction", 10000, l.maxRecipientsPerTransaction);
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<WarmupDay> decodeWarmup(const Decoder& d, const YAML::Node& n,
                                    const std::string& path) {
  d.onlyKeys(n, path, {"schedule"});
  const std::string sp = path + ".schedule";
  const auto& list = n["schedule"];
  if (!list) d.fail(n, sp, "is required");
  d.list(list, sp);
  if (list.size() == 0) d.fail(list, sp, "must have at least one day");
  std::vector<WarmupDay> out;
  std::set<int> days;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto p = Decoder::index(sp, i);
    d.onlyKeys(list[i], p, {"day", "messagesPerDay"});
    for (const char* req : {"day", "messagesPerDay"})
      if (!list[i][req]) d.fail(list[i], p + "." + req, "is required");
    WarmupDay w;
    w.day = static_cast<int>(d.integer(list[i]["day"], p + ".day", 1, 365));
    if (!days.insert(w.day).second)
      d.fail(list[i]["day"], p + ".day", "day " + std::to_string(w.day) + " is listed twice");
    w.messagesPerDay = d.integer(list[i]["messagesPerDay"], p + ".messagesPerDay", 1, 100000000);
    out.push_back(w);
  }
  return out;
}

Pause decodePause(const Decoder& d, const YAML::Node& n, const std::string& path) {
  d.onlyKeys(n, path, {"bounceRateThreshold", "window", "minMessages"});
  Pause p;
  const auto& t = n["bounceRateThreshold"];
  if (!t) d.fail(n, path + ".bounceRateThreshold", "is required");
  auto bp = parsePercentBasisPoints(d.str(t, path + ".bounceRateThreshold"));
  if (!bp)
    d.fail(t, path + ".bounceRateThreshold",
           "must be a percentage above 0 and at most 100 with at most two decimals, e.g. \"5%\" "
           "or \"2.5\"");
  p.bounceRateThresholdBasisPoints = *bp;
  if (n["window"]) {
    p.window = d.duration(n["window"], path + ".window");
    if (p.window.count() <= 0) d.fail(n["window"], path + ".window", "must be longer than 0s");
  }
  if (n["minMessages"])
    p.minMessages =
        static_cast<int>(d.integer(n["minMessages"], path + ".minMessages", 1, 1000000));
  return p;
}

Retry decodeRetry(const Decoder& d, const YAML::Node& r, const std::string& path) {
  d.onlyKeys(r, path, {"initialBackoff", "maxBackoff", "queueLifetime"});
  Retry retry;
  if (r["initialBackoff"])
    retry.initialBackoff = d.seconds(r["initialBackoff"], path + ".initialBackoff");
  if (r["maxBackoff"]) retry.maxBackoff = d.seconds(r["maxBackoff"], path + ".maxBackoff");
  if (r["queueLifetime"])
    retry.queueLifetime = d.seconds(r["queueLifetime"], path + ".queueLifetime");
  if (retry.maxBackoff < retry.initialBackoff)
    d.fail(r, path + ".maxBackoff", "must not be shorter than " + path + ".initialBackoff");
  return retry;
}

std::vector<ResponseRule> decodeResponseRules(const Decoder& d, const YAML::Node& n,
                                              const std::string& path) {
  static const std::set<std::string> actions{"defer-destination", "reduce-rate", "pause",
                                             "switch-family",     "bounce",      "none"};
  d.list(n, path);
  std::vector<ResponseRule> out;
  std::set<std::string> names;
  for (size_t i = 0; i < n.size(); ++i) {
    const auto p = Decoder::index(path, i);
    const auto& e = n[i];
    d.onlyKeys(e, p, {"name", "codes", "enhanced", "text", "mxSuffix", "action", "duration"});
    ResponseRule r;
    for (const char* req : {"name", "action"})
      if (!e[req]) d.fail(e, p + "." + req, "is required");
    r.name = d.str(e["name"], p + ".name");
    if (r.name.empty() || !names.insert(r.name).second)
      d.fail(e["name"], p + ".name", "must be a name not used by another rule");
    r.action = d.str(e["action"], p + ".action");
    if (!actions.count(r.action))
      d.fail(e["action"], p + ".action",
             "must be one of defer-destination, reduce-rate, pause, switch-family, bounce, none");
    if (e["codes"]) {
      d.list(e["codes"], p + ".codes");
      for (size_t j = 0; j < e["codes"].size(); ++j)
        r.codes.push_back(
            static_cast<int>(d.integer(e["codes"][j], Decoder::index(p + ".codes", j), 400, 599)));
    }
    if (e["enhanced"]) {
      r.enhanced = d.str(e["enhanced"], p + ".enhanced");
      static const std::regex code(R"([45]\.[0-9]{1,3}\.[0-9]{1,3})");
      if (!std::regex_match(r.enhanced, code))
        d.fail(e["enhanced"], p + ".enhanced", "must be an enhanced status code like 4.7.28");
    }
    if (e["text"]) {
      r.text = d.str(e["text"], p + ".text");
      try {
        std::regex(r.text, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& err) {
        d.fail(e["text"], p + ".text",
               std::string("is not a valid regular expression: ") + err.what());
      }
    }
    if (e["mxSuffix"]) r.mxSuffix = dns::normalizeName(d.str(e["mxSuffix"], p + ".mxSuffix"));
    if (e["duration"]) r.duration = d.seconds(e["duration"], p + ".duration");
    if (r.action != "none" && r.codes.empty() && r.enhanced.empty() && r.text.empty())
      d.fail(e, p, "needs codes, enhanced or text (a rule must not match every failure)");
    out.push_back(std::move(r));
  }
  return out;
}

Transport decodeTransport(const Decoder& d, const YAML::Node& n, const std::string& p) {
  d.onlyKeys(
      n, p,
      {"name", "direct", "relay", "routes", "limits", "warmup", "pause", "responseRules", "retry"});
  Transport t;
  if (!n["name"]) d.fail(n, p + ".name", "is required");
  t.name = d.str(n["name"], p + ".name");
  if (t.name.empty()) d.fail(n["name"], p + ".name", "must not be empty");
  if (n["direct"] && n["relay"])
    d.fail(n["relay"], p + ".relay", "a transport is either direct or relay, not both");
  if (n["relay"])
    t.mode = decodeRelay(d, n["relay"], p + ".relay");
  else if (n["direct"])
    t.mode = decodeDirect(d, n["direct"], p + ".direct");
  else
    d.fail(n, p, "needs direct (to MX hosts) or relay (through a smarthost)");
  if (n["routes"]) t.routes = decodeRoutes(d, n["routes"], p + ".routes");
  if (n["limits"]) t.perDestination = decodeLimits(d, n["limits"], p + ".limits");
  if (n["warmup"]) t.warmup = decodeWarmup(d, n["warmup"], p + ".warmup");
  if (n["pause"]) t.pause = decodePause(d, n["pause"], p + ".pause");
  if (n["responseRules"])
    t.responseRules = decodeResponseRules(d, n["responseRules"], p + ".responseRules");
  if (n["retry"]) t.retry = decodeRetry(d, n["retry"], p + ".retry");
  return t;
}

void decodeListen(const Decoder& d, const YAML::Node& l, SidecarConfig& c) {
  d.onlyKeys(l, "listen", {"grpc", "metrics", "exposeMetrics"});
  if (l["grpc"]) {
    c.grpcListen = d.strings(l["grpc"], "listen.grpc");
    if (c.grpcListen.empty()) d.fail(l["grpc"], "listen.grpc", "must name at least one address");
    for (size_t i = 0; i < c.grpcListen.size(); ++i) {
      if (!isLoopbackListen(c.grpcListen[i]))
        d.fail(l["grpc"], Decoder::index("listen.grpc", i),
               "\"" + c.grpcListen[i] +
                   "\" is not a loopback address or unix socket; the sidecar only listens on "
                   "127.0.0.1, ::1 or unix:/path");
    }
  }
  if (l["exposeMetrics"]) c.exposeMetrics = d.boolean(l["exposeMetrics"], "listen.exposeMetrics");
  if (l["metrics"]) {
    c.metricsListen = d.str(l["metrics"], "listen.metrics");
    if (c.metricsListen.starts_with("unix:"))
      d.fail(l["metrics"], "listen.metrics", "must be an ip:port address (HTTP over TCP)");
    else if (!c.metricsListen.empty() && !c.exposeMetrics && !isLoopbackListen(c.metricsListen))
      d.fail(l["metrics"], "listen.metrics",
             "must be a loopback address unless listen.exposeMetrics is true (kubelet probes "
             "and Prometheus reach the pod IP; docs/config.md)");
  }
  if (c.exposeMetrics && c.metricsListen.empty())
    d.fail(l["exposeMetrics"], "listen.exposeMetrics",
           "needs listen.metrics (the endpoint is off when listen.metrics is empty)");
}

Dkim decodeDkim(const Decoder& d, const YAML::Node& n) {
  d.onlyKeys(n, "dkim", {"keys", "required"});
  Dkim dkim;
  if (n["required"]) dkim.required = d.boolean(n["required"], "dkim.required");
  if (auto keys = n["keys"]) {
    d.list(keys, "dkim.keys");
    for (size_t i = 0; i < keys.size(); ++i) {
      auto p = Decoder::index("dkim.keys", i);
      const auto& k = keys[i];
      d.onlyKeys(k, p, {"domain", "selector", "algorithm", "keyFile"});
      for (const char* req : {"domain", "selector", "algorithm", "keyFile"})
        if (!k[req]) d.fail(k, p + "." + req, "is required");
      DkimKey key{d.str(k["domain"], p + ".domain"), d.str(k["selector"], p + ".selector"),
                  d.str(k["algorithm"], p + ".algorithm"), d.str(k["keyFile"], p + ".keyFile")};
      if (key.algorithm != "rsa-sha256" && key.algorithm != "ed25519-sha256")
        d.fail(k["algorithm"], p + ".algorithm", "must be rsa-sha256 or ed25519-sha256");
      dkim.keys.push_back(std::move(key));
    }
  }
  return dkim;
}

SidecarConfig decode(const Decoder& d, const YAML::Node& root) {
  d.onlyKeys(root, "",
             {"apiVersion", "kind", "listen", "spool", "hostname", "dns", "delivery", "dkim",
              "transports"});
  if (!root["apiVersion"] || d.str(root["apiVersion"], "apiVersion") != "mailroom.dev/v1alpha1")
    d.fail(root["apiVersion"], "apiVersion", "must be mailroom.dev/v1alpha1");
  if (!root["kind"] || d.str(root["kind"], "kind") != "SidecarConfig")
    d.fail(root["kind"], "kind", "must be SidecarConfig");

  SidecarConfig c;
  if (auto l = root["listen"]) decodeListen(d, l, c);
  if (auto s = root["spool"]) {
    d.onlyKeys(s, "spool", {"directory", "maxMessageBytes"});
    if (s["directory"]) c.spoolDirectory = d.str(s["directory"], "spool.directory");
    if (s["maxMessageBytes"])
      c.maxMessageBytes = d.integer(s["maxMessageBytes"], "spool.maxMessageBytes", 1024, 1LL << 31);
  }
  if (!root["hostname"])
    d.fail(root, "hostname", "is required (the EHLO name, e.g. mail.example.com)");
  c.hostname = d.hostName(root["hostname"], "hostname");
  if (auto n = root["dns"]) {
    d.onlyKeys(n, "dns", {"resolvers", "timeout", "tries"});
    if (n["resolvers"]) c.resolvers = d.strings(n["resolvers"], "dns.resolvers");
    if (n["timeout"]) c.dnsTimeout = d.duration(n["timeout"], "dns.timeout");
    if (n["tries"]) c.dnsTries = static_cast<int>(d.integer(n["tries"], "dns.tries", 1, 10));
  }
  if (auto n = root["delivery"]) {
    d.onlyKeys(n, "delivery", {"concurrency"});
    if (n["concurrency"])
      c.delivery.concurrency =
          static_cast<int>(d.integer(n["concurrency"], "delivery.concurrency", 1, 1000));
  }
  if (auto n = root["dkim"]) c.dkim = decodeDkim(d, n);
  const auto& ts = root["transports"];
  if (!ts) d.fail(root, "transports", "at least one transport is required");
  d.list(ts, "transports");
  if (ts.size() == 0) d.fail(ts, "transports", "at least one transport is required");
  for (size_t i = 0; i < ts.size(); ++i) {
    auto p = Decoder::index("transports", i);
    Transport t = decodeTransport(d, ts[i], p);
    if (c.transport(t.name)) d.fail(ts[i]["name"], p + ".name", "duplicate transport name");
    c.transports.push_back(std::move(t));
  }
  return c;
}

}  // namespace

std::optional<NextHop> parseNextHop(std::string_view text, uint16_t defaultPort) {
  if (!text.starts_with("[")) return std::nullopt;
  auto close = text.find(']');
  if (close == std::string_view::npos || close == 1) return std::nullopt;
  NextHop hop{std::string(text.substr(1, close - 1)), defaultPort};
  auto rest = text.substr(close + 1);
  if (rest.empty()) return hop;
  if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
  int port = 0;
  for (char c : rest.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  hop.port = static_cast<uint16_t>(port);
  return hop;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  // Bounded far above any sensible setting, so sums cannot overflow.
  constexpr int64_t kMaxMs = int64_t{1} << 50;  // about 35,000 years
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::string_view unit = text.substr(i, 2);
    int64_t scale = 0;
    if (unit == "ms") {
      scale = 1;
      i += 2;
    } else if (!unit.empty() && (unit[0] == 's' || unit[0] == 'm' || unit[0] == 'h')) {
      scale = unit[0] == 's' ? 1000 : unit[0] == 'm' ? 60'000 : 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    total += n * scale;
    if (total > kMaxMs) return std::nullopt;
  }
  return std::chrono::milliseconds(total);
}

std::optional<int> parsePercentBasisPoints(std::string_view text) {
  if (text.ends_with("%")) text.remove_suffix(1);
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (whole.empty() || whole.size() > 3 || !digits(whole)) return std::nullopt;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 2 || !digits(frac)))
    return std::nullopt;
  int v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  v *= 100;
  if (frac.size() >= 1) v += (frac[0] - '0') * 10;
  if (frac.size() == 2) v += frac[1] - '0';
  if (v <= 0 || v > 10000) return std::nullopt;
  return v;
}

bool isLoopbackListen(std::string_view listen) {
  if (listen.starts_with("unix:")) return listen.size() > 5;
  std::string host;
  if (listen.starts_with("[")) {
    auto close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return false;
    host = std::string(listen.substr(1, close - 1));
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(listen.substr(0, colon));
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Result<SidecarConfig> parseConfig(std::string_view yaml, std::string_view sourceName) {
  Decoder d{std::string(sourceName)};
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap())
      return Error::invalidArgument(std::string(sourceName) + ": not a YAML mapping");
    return decode(d, root);
  } catch (const DecodeError& e) {
    return Error::invalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string(sourceName) + ":" + std::to_string(e.mark.line + 1) +
                                  ": YAML syntax: " + e.msg);
  }
}

Result<SidecarConfig> loadConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Error::invalidArgument(path.string() + ": cannot open");
  std::stringstream buf;
  buf << in.rdbuf();
  return parseConfig(buf.str(), path.string());
}

}  // namespace mailroom::sidecarconfig
