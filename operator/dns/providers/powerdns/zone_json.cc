#include "operator/dns/providers/powerdns/zone_json.h"

#include <nlohmann/json.hpp>

namespace mailroom::dnspub::powerdns {

using nlohmann::json;

namespace {

Result<std::string> stringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string())
    return Error::invalidArgument(std::string("\"") + key + "\" is missing or not a string");
  return it->get<std::string>();
}

Result<PdnsRRset> parseRRset(const json& j) {
  if (!j.is_object()) return Error::invalidArgument("an rrset is not an object");
  PdnsRRset rs;
  auto name = stringField(j, "name");
  if (!name) return name.error();
  auto type = stringField(j, "type");
  if (!type) return type.error();
  rs.name = *name;
  rs.type = *type;
  if (auto ttl = j.find("ttl"); ttl != j.end()) {
    if (!ttl->is_number_unsigned() || ttl->get<uint64_t>() > UINT32_MAX)
      return Error::invalidArgument(rs.name + " " + rs.type + ": bad ttl");
    rs.ttl = static_cast<uint32_t>(ttl->get<uint64_t>());
  }
  auto records = j.find("records");
  if (records == j.end()) return rs;
  if (!records->is_array()) return Error::invalidArgument(rs.name + ": records is not an array");
  for (const auto& r : *records) {
    if (!r.is_object()) return Error::invalidArgument(rs.name + ": a record is not an object");
    auto content = stringField(r, "content");
    if (!content) return Error::invalidArgument(rs.name + ": " + content.error().message);
    PdnsRecord rec{*content, false};
    if (auto d = r.find("disabled"); d != r.end()) {
      if (!d->is_boolean()) return Error::invalidArgument(rs.name + ": disabled is not a boolean");
      rec.disabled = d->get<bool>();
    }
    rs.records.push_back(std::move(rec));
  }
  return rs;
}

}  // namespace

Result<PdnsZone> parseZone(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::invalidArgument("the zone is not JSON");
  if (!j.is_object()) return Error::invalidArgument("the zone is not a JSON object");
  PdnsZone zone;
  auto name = stringField(j, "name");
  if (!name) return name.error();
  zone.name = *name;
  auto rrsets = j.find("rrsets");
  if (rrsets == j.end() || !rrsets->is_array())
    return Error::invalidArgument("\"rrsets\" is missing or not an array");
  for (const auto& r : *rrsets) {
    auto rs = parseRRset(r);
    if (!rs) return rs.error();
    zone.rrsets.push_back(std::move(rs).value());
  }
  return zone;
}

std::string renderPatch(const std::vector<RRsetWrite>& writes) {
  json rrsets = json::array();
  for (const auto& w : writes) {
    json r = {{"name", w.rrset.name}, {"type", w.rrset.type}};
    if (w.kind == RRsetWrite::Kind::kDelete) {
      r["changetype"] = "DELETE";
    } else {
      r["changetype"] = "REPLACE";
      r["ttl"] = w.rrset.ttl;
      json records = json::array();
      for (const auto& rec : w.rrset.records)
        records.push_back({{"content", rec.content}, {"disabled", rec.disabled}});
      r["records"] = std::move(records);
    }
    rrsets.push_back(std::move(r));
  }
  // Never throws: our content is escaped ASCII, and foreign content came through the strict
  // parser, so it is valid UTF-8 already.
  return json{{"rrsets", std::move(rrsets)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string errorMessage(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto e = j.find("error");
  return e != j.end() && e->is_string() ? e->get<std::string>() : "";
}

}  // namespace mailroom::dnspub::powerdns
