#include "lib/sidecarconfig/config.h"

#include "lib/common/asio.h"
#include "lib/sidecarconfig/destination.h"
#include "lib/sidecarconfig/parse.h"

namespace mailroom::sidecarconfig {

uint16_t DirectTransport::connectPort() const {
  if (auto hop = parseNextHop(nextHop, port)) return hop->port;
  return port;
}

std::string DirectTransport::sourceFor(AddressFamily f) const {
  for (const auto& s : sourceAddresses) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(s, ec);
    if (!ec && (f == AddressFamily::kIpv4) == a.is_v4()) return s;
  }
  return "";
}

const Transport* SidecarConfig::transport(std::string_view name) const {
  for (const auto& t : transports)
    if (t.name == name) return &t;
  return nullptr;
}

const Transport* routeFor(const SidecarConfig& config, std::string_view domain) {
  const Transport* best = nullptr;
  size_t bestRank = 0;
  int bestPriority = 0;
  auto consider = [&](const Transport& t, std::string_view pattern, int priority) {
    auto rank = matchRank(pattern, domain);
    if (!rank) return;
    bool better = !best || *rank > bestRank ||
                  (*rank == bestRank &&
                   (priority > bestPriority || (priority == bestPriority && t.name < best->name)));
    if (better) {
      best = &t;
      bestRank = *rank;
      bestPriority = priority;
    }
  };
  for (const auto& t : config.transports) {
    if (t.routes.empty()) consider(t, "*", 0);
    for (const auto& r : t.routes)
      for (const auto& pattern : r.domains) consider(t, pattern, r.priority);
  }
  return best;
}

const DestinationLimits* limitsFor(const Transport& transport, std::string_view domain) {
  std::vector<std::string_view> patterns;
  for (const auto& l : transport.perDestination) patterns.push_back(l.domain);
  auto i = bestMatch(patterns, domain);
  return i ? &transport.perDestination[*i] : nullptr;
}

const std::string& ehloName(const SidecarConfig& config, const DirectTransport& direct) {
  return direct.ehloHostname.empty() ? config.hostname : direct.ehloHostname;
}

}  // namespace mailroom::sidecarconfig
