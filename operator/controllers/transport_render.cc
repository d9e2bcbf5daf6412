#include "operator/controllers/transport_render.h"

#include <algorithm>
#include <map>

#include "lib/auth/dkim/key_record.h"
#include "lib/sidecarconfig/parse.h"
#include "lib/sidecarconfig/render.h"
#include "lib/sidecarconfig/support.h"

namespace mailroom::controllers {
namespace {

using sidecarconfig::parseDuration;

std::chrono::seconds seconds(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::seconds>(ms);
}

// One Transport in the sidecar's model; an error message when it cannot be expressed.
std::variant<sidecarconfig::Transport, std::string> convert(const api::Transport& t,
                                                            const SidecarPaths& paths) {
  sidecarconfig::Transport out;
  out.name = t.metadata.name;
  const auto& spec = t.spec;
  if (spec.mode == api::TransportMode::kDirect) {
    sidecarconfig::DirectTransport d;
    if (spec.direct) {
      d.family = spec.direct->family;
      d.sourceAddresses = spec.direct->sourceAddresses;
      d.ehloHostname = spec.direct->ehloHostname;
      d.tls = spec.direct->tls;
      d.port = static_cast<uint16_t>(spec.direct->port);
      if (!spec.direct->rememberRejectedFamily.empty()) {
        auto remember = parseDuration(spec.direct->rememberRejectedFamily);
        if (!remember)
          return "spec.direct.rememberRejectedFamily: \"" + spec.direct->rememberRejectedFamily +
                 "\" is not a duration";
        d.rememberRejectedFamily = seconds(*remember);
      }
    }
    out.mode = d;
  } else {
    sidecarconfig::RelayTransport r;
    r.host = spec.relay->host;
    r.port = static_cast<uint16_t>(spec.relay->port);
    r.tls = spec.relay->tls;
    if (const auto& c = spec.relay->credentialsSecretRef) {
      auto dir = paths.relayDir / t.metadata.name;
      r.credentials = sidecarconfig::RelayCredentials{dir / c->usernameKey, dir / c->passwordKey};
    }
    out.mode = r;
  }
  for (const auto& route : spec.routes) {
    sidecarconfig::Route r{route.domains, route.priority};
    for (auto& d : r.domains)
      std::transform(d.begin(), d.end(), d.begin(),
                     [](unsigned char c) { return std::tolower(c); });
    out.routes.push_back(std::move(r));
  }
  for (const auto& l : spec.perDestination)
    out.perDestination.push_back({l.domain, l.messagesPerMinute, l.maxConnections,
                                  l.deliveriesPerConnection, l.maxRecipientsPerTransaction});
  for (const auto& w : spec.warmup) out.warmup.push_back({w.day, w.messagesPerDay});
  if (spec.pause) {
    auto bp = sidecarconfig::parsePercentBasisPoints(spec.pause->bounceRateThreshold);
    auto window = parseDuration(spec.pause->window);
    if (!bp)
      return "spec.pause.bounceRateThreshold: \"" + spec.pause->bounceRateThreshold +
             "\" is not a percentage";
    if (!window) return "spec.pause.window: \"" + spec.pause->window + "\" is not a duration";
    out.pause = sidecarconfig::Pause{*bp, *window, spec.pause->minMessages};
  }
  for (const auto& rule : spec.responseRules) {
    sidecarconfig::ResponseRule r{rule.name,   rule.codes, rule.enhanced, rule.text, rule.mxSuffix,
                                  rule.action, {}};
    if (!rule.duration.empty()) {
      auto d = parseDuration(rule.duration);
      if (!d) return "spec.responseRules[" + rule.name + "].duration: not a duration";
      r.duration = seconds(*d);
    }
    out.responseRules.push_back(std::move(r));
  }
  if (spec.retry) {
    auto a = parseDuration(spec.retry->initialBackoff);
    auto b = parseDuration(spec.retry->maxBackoff);
    auto c = parseDuration(spec.retry->queueLifetime);
    if (!a || !b || !c) return std::string("spec.retry: a duration is not valid");
    out.retry = {seconds(*a), seconds(*b), seconds(*c)};
  }
  return out;
}

// Patterns claimed by more than one Transport at the same priority: the tie rule (lowest name)
// decides; both hear about it.
void reportTies(const std::vector<sidecarconfig::Transport>& transports,
                std::vector<RenderProblem>& problems) {
  std::map<std::pair<std::string, int>, std::vector<std::string>> claims;
  for (const auto& t : transports) {
    if (t.routes.empty()) claims[{"*", 0}].push_back(t.name);
    for (const auto& r : t.routes)
      for (const auto& d : r.domains) claims[{d, r.priority}].push_back(t.name);
  }
  for (auto& [key, names] : claims) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names.size() < 2) continue;
    std::string others;
    for (size_t i = 1; i < names.size(); ++i) others += (i > 1 ? ", " : "") + names[i];
    const std::string message = "route \"" + key.first + "\" at priority " +
                                std::to_string(key.second) + " is claimed by " + names[0] +
                                " and " + others + ": " + names[0] +
                                " serves it (ties go to the lowest name); give one a higher "
                                "priority to choose";
    for (const auto& n : names) problems.push_back({n, false, "RouteTie", message});
  }
}

// The default EHLO name and Message-ID domain: the ehloHostname of the Transport serving "*",
// else the first one set (by name).
std::string hostnameOf(const sidecarconfig::SidecarConfig& config) {
  if (const auto* t = sidecarconfig::routeFor(config, "any.invalid");
      t && t->direct() && !t->direct()->ehloHostname.empty())
    return t->direct()->ehloHostname;
  for (const auto& t : config.transports) {
    if (t.direct() && !t.direct()->ehloHostname.empty()) return t.direct()->ehloHostname;
  }
  return {};
}

}  // namespace

std::string dkimKeyFileName(const ActiveDkimKey& key) {
  return dkim::keyRecordName(key.selector, key.domain) + ".pem";
}

std::vector<RenderProblem> RenderedConfig::problemsOf(const std::string& transport) const {
  std::vector<RenderProblem> out;
  for (const auto& p : problems)
    if (p.transport == transport) out.push_back(p);
  return out;
}

RenderedConfig renderSidecarConfig(const std::vector<api::Transport>& transports,
                                   const std::vector<ActiveDkimKey>& keys,
                                   const SidecarPaths& paths) {
  RenderedConfig out;
  auto& config = out.config;
  config.spoolDirectory = paths.spoolDir;
  std::vector<api::Transport> sorted = transports;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.metadata.name < b.metadata.name; });
  for (const auto& t : sorted) {
    auto converted = convert(t, paths);
    if (auto* error = std::get_if<std::string>(&converted)) {
      out.problems.push_back({t.metadata.name, true, "InvalidSpec", *error});
      continue;
    }
    // What this sidecar build refuses to run stays out of the config, so the rest still runs.
    sidecarconfig::SidecarConfig alone;
    alone.transports.push_back(std::get<sidecarconfig::Transport>(converted));
    auto support = sidecarconfig::sidecarSupport(alone);
    if (!support.refused.empty()) {
      std::string why;
      for (const auto& r : support.refused) why += (why.empty() ? "" : "; ") + r;
      out.problems.push_back({t.metadata.name, true, "NotSupportedBySidecar", why});
      continue;
    }
    config.transports.push_back(std::get<sidecarconfig::Transport>(std::move(converted)));
  }
  reportTies(config.transports, out.problems);
  for (const auto& k : keys) {
    config.dkim.keys.push_back(
        {k.domain, k.selector, k.algorithm, (paths.dkimDir / dkimKeyFileName(k)).string()});
  }
  if (config.transports.empty()) return out;
  config.hostname = hostnameOf(config);
  if (config.hostname.empty()) {
    // Relays do not need a name that matches a PTR record; "localhost" is what MTAs send then.
    bool anyDirect = false;
    for (const auto& t : config.transports) anyDirect |= t.direct() != nullptr;
    if (anyDirect) {
      for (const auto& t : config.transports) {
        if (t.direct())
          out.problems.push_back(
              {t.name, false, "EhloHostnameMissing",
               "no Transport in the namespace sets direct.ehloHostname: the sidecar introduces "
               "itself as \"localhost\", which receivers distrust; set it to the PTR name of the "
               "source addresses"});
      }
    }
    config.hostname = "localhost";
  }
  out.yaml = sidecarconfig::render(config);
  return out;
}

}  // namespace mailroom::controllers
