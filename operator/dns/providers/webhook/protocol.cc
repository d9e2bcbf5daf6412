#include "operator/dns/providers/webhook/protocol.h"

#include <nlohmann/json.hpp>
#include <regex>

namespace mailroom::dnspub::webhook {

using nlohmann::json;

namespace {

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<std::string>> stringArray(const json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return out;
  if (!it->is_array()) return Error::invalidArgument(std::string(key) + " is not an array");
  for (const auto& v : *it) {
    if (!v.is_string()) return Error::invalidArgument(std::string(key) + " holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string optString(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<Endpoint> parseEndpoint(const json& j) {
  if (!j.is_object()) return Error::invalidArgument("an endpoint is not an object");
  Endpoint e;
  e.dnsName = optString(j, "dnsName");
  e.recordType = optString(j, "recordType");
  e.setIdentifier = optString(j, "setIdentifier");
  if (e.dnsName.empty() || e.recordType.empty())
    return Error::invalidArgument("an endpoint lacks dnsName or recordType");
  auto targets = stringArray(j, "targets");
  if (!targets) return targets.error();
  e.targets = std::move(targets).value();
  if (auto ttl = j.find("recordTTL"); ttl != j.end() && !ttl->is_null()) {
    if (!ttl->is_number_integer()) return Error::invalidArgument("recordTTL is not an integer");
    e.recordTTL = ttl->get<int64_t>();
  }
  if (auto labels = j.find("labels"); labels != j.end() && labels->is_object())
    for (const auto& [k, v] : labels->items())
      if (v.is_string()) e.labels[k] = v.get<std::string>();
  if (auto ps = j.find("providerSpecific"); ps != j.end() && ps->is_array())
    for (const auto& p : *ps)
      if (p.is_object())
        e.providerSpecific.emplace_back(optString(p, "name"), optString(p, "value"));
  return e;
}

Result<std::vector<Endpoint>> parseEndpointArray(const json& j) {
  std::vector<Endpoint> out;
  if (j.is_null()) return out;  // Go encodes a nil slice as null
  if (!j.is_array()) return Error::invalidArgument("not a JSON array of endpoints");
  for (const auto& e : j) {
    auto ep = parseEndpoint(e);
    if (!ep) return ep.error();
    out.push_back(std::move(ep).value());
  }
  return out;
}

json endpointJson(const Endpoint& e) {
  json j = {{"dnsName", e.dnsName}, {"targets", e.targets}, {"recordType", e.recordType}};
  if (!e.setIdentifier.empty()) j["setIdentifier"] = e.setIdentifier;
  if (e.recordTTL) j["recordTTL"] = e.recordTTL;
  if (!e.labels.empty()) j["labels"] = e.labels;
  if (!e.providerSpecific.empty()) {
    json ps = json::array();
    for (const auto& [n, v] : e.providerSpecific) ps.push_back({{"name", n}, {"value", v}});
    j["providerSpecific"] = ps;
  }
  return j;
}

bool under(std::string_view name, std::string domain) {
  while (!domain.empty() && domain.front() == '.') domain.erase(0, 1);
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.empty()) return false;
  return name == domain || (name.size() > domain.size() && name.ends_with(domain) &&
                            name[name.size() - domain.size() - 1] == '.');
}

bool regexMatches(const std::string& re, std::string_view name) {
  try {
    return std::regex_search(std::string(name), std::regex(re));
  } catch (const std::regex_error&) {
    return false;  // a filter we cannot read admits nothing
  }
}

}  // namespace

bool DomainFilter::matches(std::string_view name) const {
  bool in = include.empty();
  for (const auto& d : include) in = in || under(name, d);
  for (const auto& d : exclude)
    if (under(name, d)) return false;
  if (!regexInclude.empty() && !regexMatches(regexInclude, name)) return false;
  if (!regexExclude.empty() && regexMatches(regexExclude, name)) return false;
  return in;
}

Result<std::vector<Endpoint>> parseEndpoints(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return Error::invalidArgument("the body is not JSON");
  return parseEndpointArray(j);
}

Result<DomainFilter> parseDomainFilter(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error::invalidArgument("the domain filter is not a JSON object");
  DomainFilter f;
  auto inc = stringArray(j, "include");
  auto exc = stringArray(j, "exclude");
  if (!inc) return inc.error();
  if (!exc) return exc.error();
  f.include = std::move(inc).value();
  f.exclude = std::move(exc).value();
  f.regexInclude = optString(j, "regexInclude");
  f.regexExclude = optString(j, "regexExclude");
  return f;
}

Result<Changes> parseChanges(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error::invalidArgument("changes are not an object");
  Changes c;
  struct Key {
    const char* lower;
    const char* upper;
    std::vector<Endpoint>* into;
  };
  for (auto [lower, upper, into] :
       {Key{"create", "Create", &c.create}, Key{"updateOld", "UpdateOld", &c.updateOld},
        Key{"updateNew", "UpdateNew", &c.updateNew}, Key{"delete", "Delete", &c.remove}}) {
    for (const char* k : {lower, upper}) {
      auto it = j.find(k);
      if (it == j.end()) continue;
      auto eps = parseEndpointArray(*it);
      if (!eps) return eps.error();
      into->insert(into->end(), eps->begin(), eps->end());
    }
  }
  return c;
}

std::string renderEndpoints(const std::vector<Endpoint>& eps) {
  json a = json::array();
  for (const auto& e : eps) a.push_back(endpointJson(e));
  return dump(a);
}

std::string renderChanges(const Changes& c) {
  json j = json::object();
  auto put = [&](const char* key, const std::vector<Endpoint>& eps) {
    if (eps.empty()) return;
    json a = json::array();
    for (const auto& e : eps) a.push_back(endpointJson(e));
    j[key] = a;
  };
  put("create", c.create);
  put("updateOld", c.updateOld);
  put("updateNew", c.updateNew);
  put("delete", c.remove);
  return dump(j);
}

}  // namespace mailroom::dnspub::webhook
