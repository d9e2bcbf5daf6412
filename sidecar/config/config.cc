#include "sidecar/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "lib/common/asio.h"

namespace mailroom::config {
namespace {

// Decoding errors carry the path of the field and its line; thrown inside the decoder only and
// turned into a Result at parseConfig's edge.
struct DecodeError {
  std::string message;
};

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
      auto key = kv.first.as<std::string>();
      // yaml-cpp keeps the first of two equal keys; a second one would be silently ignored.
      if (!seen.insert(key).second) fail(kv.first, join(path, key), "duplicate key");
      bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
      if (!ok) fail(kv.first, join(path, key), "unknown field");
    }
  }

  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "must be a string");
    return n.as<std::string>();
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
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(n, path, "must be true or false");
    }
  }

  std::chrono::milliseconds duration(const YAML::Node& n, const std::string& path) const {
    auto d = parseDuration(str(n, path));
    if (!d) fail(n, path, "must be a duration like \"30s\", \"5m\", \"1h\"");
    return *d;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) return {str(n, path)};
    if (!n.IsSequence()) fail(n, path, "must be a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) out.push_back(str(n[i], index(path, i)));
    return out;
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

bool isDomainPattern(std::string_view s) {
  if (s == "*") return true;
  if (s.starts_with("*.")) s.remove_prefix(2);
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

DirectTransport decodeDirect(const Decoder& d, const YAML::Node& n, const std::string& path) {
  d.onlyKeys(n, path,
             {"addressFamily", "preferredFamily", "sourceAddresses", "ehloHostname", "tls", "port",
              "nextHop"});
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
      if (addr.is_v4() && !t.family.allows(AddressFamily::kIpv4))
        d.fail(n["sourceAddresses"], p, "an IPv4 address on an IPv6-only transport");
      if (addr.is_v6() && !t.family.allows(AddressFamily::kIpv6))
        d.fail(n["sourceAddresses"], p, "an IPv6 address on an IPv4-only transport");
    }
    t.sourceAddresses = list;
  }
  if (n["ehloHostname"]) t.ehloHostname = d.str(n["ehloHostname"], path + ".ehloHostname");
  if (n["tls"]) {
    d.onlyKeys(n["tls"], path + ".tls", {"policy"});
    auto policy = parseTlsPolicy(d.str(n["tls"]["policy"], path + ".tls.policy"));
    if (policy && *policy != TlsPolicy::kImplicit)  // implicit TLS is the relay's
      t.tls = *policy;
    else
      d.fail(n["tls"]["policy"], path + ".tls.policy",
             "must be one of opportunistic, required, none");
  }
  if (n["port"]) t.port = static_cast<uint16_t>(d.integer(n["port"], path + ".port", 1, 65535));
  if (n["nextHop"]) {
    t.nextHop = d.str(n["nextHop"], path + ".nextHop");
    auto hop = parseNextHop(t.nextHop, t.port);
    if (!hop) d.fail(n["nextHop"], path + ".nextHop", "must be [host] or [host]:port");
    t.port = hop->port;  // the port delivery connects to
  }
  return t;
}

SidecarConfig decode(const Decoder& d, const YAML::Node& root) {
  d.onlyKeys(root, "",
             {"apiVersion", "kind", "listen", "spool", "hostname", "dns", "retry", "delivery",
              "dkim", "transports", "routes"});
  if (!root["apiVersion"] || d.str(root["apiVersion"], "apiVersion") != "mailroom.dev/v1alpha1")
    d.fail(root["apiVersion"], "apiVersion", "must be mailroom.dev/v1alpha1");
  if (!root["kind"] || d.str(root["kind"], "kind") != "SidecarConfig")
    d.fail(root["kind"], "kind", "must be SidecarConfig");

  SidecarConfig c;
  if (auto l = root["listen"]) {
    d.onlyKeys(l, "listen", {"grpc", "metrics"});
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
    if (l["metrics"]) {
      c.metricsListen = d.str(l["metrics"], "listen.metrics");
      if (!c.metricsListen.empty() && !isLoopbackListen(c.metricsListen))
        d.fail(l["metrics"], "listen.metrics", "must be a loopback address");
    }
  }
  if (auto s = root["spool"]) {
    d.onlyKeys(s, "spool", {"directory", "maxMessageBytes"});
    if (s["directory"]) c.spoolDirectory = d.str(s["directory"], "spool.directory");
    if (s["maxMessageBytes"])
      c.maxMessageBytes = d.integer(s["maxMessageBytes"], "spool.maxMessageBytes", 1024, 1LL << 31);
  }
  if (!root["hostname"])
    d.fail(root, "hostname", "is required (the EHLO name, e.g. mail.example.com)");
  c.hostname = d.str(root["hostname"], "hostname");
  if (auto n = root["dns"]) {
    d.onlyKeys(n, "dns", {"resolvers", "timeout", "tries"});
    if (n["resolvers"]) c.resolvers = d.strings(n["resolvers"], "dns.resolvers");
    if (n["timeout"]) c.dnsTimeout = d.duration(n["timeout"], "dns.timeout");
    if (n["tries"]) c.dnsTries = static_cast<int>(d.integer(n["tries"], "dns.tries", 1, 10));
  }
  if (auto r = root["retry"]) {
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    d.onlyKeys(r, "retry", {"initialBackoff", "maxBackoff", "queueLifetime"});
    if (r["initialBackoff"])
      c.retry.initialBackoff =
          duration_cast<seconds>(d.duration(r["initialBackoff"], "retry.initialBackoff"));
    if (r["maxBackoff"])
      c.retry.maxBackoff = duration_cast<seconds>(d.duration(r["maxBackoff"], "retry.maxBackoff"));
    if (r["queueLifetime"])
      c.retry.queueLifetime =
          duration_cast<seconds>(d.duration(r["queueLifetime"], "retry.queueLifetime"));
    if (c.retry.maxBackoff < c.retry.initialBackoff)
      d.fail(r, "retry.maxBackoff", "must not be shorter than retry.initialBackoff");
  }
  if (auto n = root["delivery"]) {
    d.onlyKeys(n, "delivery",
               {"concurrency", "connectionsPerDestination", "messagesPerConnection"});
    if (n["concurrency"])
      c.delivery.concurrency =
          static_cast<int>(d.integer(n["concurrency"], "delivery.concurrency", 1, 1000));
    if (n["connectionsPerDestination"])
      c.delivery.connectionsPerDestination = static_cast<int>(
          d.integer(n["connectionsPerDestination"], "delivery.connectionsPerDestination", 1, 1000));
    if (n["messagesPerConnection"])
      c.delivery.messagesPerConnection = static_cast<int>(
          d.integer(n["messagesPerConnection"], "delivery.messagesPerConnection", 1, 100000));
  }
  if (auto n = root["dkim"]) {
    d.onlyKeys(n, "dkim", {"keys", "required"});
    if (n["required"]) c.dkim.required = d.boolean(n["required"], "dkim.required");
    if (auto keys = n["keys"]) {
      if (!keys.IsSequence()) d.fail(keys, "dkim.keys", "must be a list");
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
        c.dkim.keys.push_back(std::move(key));
      }
    }
  }
  if (auto ts = root["transports"]) {
    if (!ts.IsSequence()) d.fail(ts, "transports", "must be a list");
    std::set<std::string> names;
    for (size_t i = 0; i < ts.size(); ++i) {
      auto p = Decoder::index("transports", i);
      d.onlyKeys(ts[i], p, {"name", "direct"});
      if (!ts[i]["name"]) d.fail(ts[i], p + ".name", "is required");
      Transport t;
      t.name = d.str(ts[i]["name"], p + ".name");
      if (!names.insert(t.name).second)
        d.fail(ts[i]["name"], p + ".name", "duplicate transport name");
      if (!ts[i]["direct"]) d.fail(ts[i], p + ".direct", "is required (the only mode so far)");
      t.direct = decodeDirect(d, ts[i]["direct"], p + ".direct");
      if (t.direct.ehloHostname.empty()) t.direct.ehloHostname = c.hostname;
      c.transports.push_back(std::move(t));
    }
  }
  if (auto rs = root["routes"]) {
    if (!rs.IsSequence()) d.fail(rs, "routes", "must be a list");
    for (size_t i = 0; i < rs.size(); ++i) {
      auto p = Decoder::index("routes", i);
      d.onlyKeys(rs[i], p, {"domains", "transport"});
      Route r;
      if (!rs[i]["domains"]) d.fail(rs[i], p + ".domains", "is required");
      r.domains = d.strings(rs[i]["domains"], p + ".domains");
      for (auto& dom : r.domains) {
        if (!isDomainPattern(dom))
          d.fail(rs[i]["domains"], p + ".domains",
                 "\"" + dom + "\" is not a domain, *.domain or *");
        std::transform(dom.begin(), dom.end(), dom.begin(), ::tolower);
      }
      if (!rs[i]["transport"]) d.fail(rs[i], p + ".transport", "is required");
      r.transport = d.str(rs[i]["transport"], p + ".transport");
      if (!c.transport(r.transport))
        d.fail(rs[i]["transport"], p + ".transport", "no transport named \"" + r.transport + "\"");
      c.routes.push_back(std::move(r));
    }
  }
  if (c.transports.empty()) d.fail(root, "transports", "at least one transport is required");
  if (c.routes.empty()) {
    // One transport and no routes: it serves every domain.
    if (c.transports.size() == 1)
      c.routes.push_back({{"*"}, c.transports[0].name});
    else
      d.fail(root, "routes", "are required when there is more than one transport");
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

std::string Transport::sourceFor(AddressFamily family) const {
  for (const auto& s : direct.sourceAddresses) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(s, ec);
    if (!ec && (family == AddressFamily::kIpv4) == a.is_v4()) return s;
  }
  return "";
}

const Transport* SidecarConfig::transport(std::string_view name) const {
  for (const auto& t : transports)
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::chrono::milliseconds total{0};
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
    if (unit == "ms") {
      total += std::chrono::milliseconds(n);
      i += 2;
    } else if (!unit.empty() && unit[0] == 's') {
      total += std::chrono::seconds(n);
      ++i;
    } else if (!unit.empty() && unit[0] == 'm') {
      total += std::chrono::minutes(n);
      ++i;
    } else if (!unit.empty() && unit[0] == 'h') {
      total += std::chrono::hours(n);
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return total;
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

const Transport* routeFor(const SidecarConfig& config, std::string_view rawDomain) {
  std::string domain(rawDomain);
  std::transform(domain.begin(), domain.end(), domain.begin(), ::tolower);
  const Route* best = nullptr;
  size_t bestScore = 0;  // exact: SIZE_MAX, "*.suffix": suffix length + 1, "*": 1
  for (const auto& r : config.routes) {
    for (const auto& pattern : r.domains) {
      size_t score = 0;
      if (pattern == domain) {
        score = SIZE_MAX;
      } else if (pattern == "*") {
        score = 1;
      } else if (pattern.starts_with("*.")) {
        std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.org"
        if (domain.size() > suffix.size() && domain.ends_with(suffix)) score = suffix.size() + 1;
      }
      if (score > bestScore) {
        bestScore = score;
        best = &r;
      }
    }
  }
  return best ? config.transport(best->transport) : nullptr;
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

}  // namespace mailroom::config
