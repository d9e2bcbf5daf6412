#include "operator/dns/providers/cloudflare/api.h"

#include <nlohmann/json.hpp>

namespace mailroom::dnspub::cloudflare {

using nlohmann::json;

namespace {

Result<json> parseObject(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error::invalidArgument("the answer is not a JSON object");
  auto s = j.find("success");
  if (s == j.end() || !s->is_boolean())
    return Error::invalidArgument(
        "the answer has no boolean \"success\" (not the API v4 envelope)");
  return j;
}

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

int intField(const json& o, const char* key, int fallback) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number_integer()) return fallback;
  auto v = it->get<int64_t>();
  return v < 0 || v > 1000000 ? fallback : static_cast<int>(v);
}

Result<const json*> resultArray(const json& j) {
  auto r = j.find("result");
  if (r == j.end() || !r->is_array()) return Error::invalidArgument("\"result\" is not an array");
  return &*r;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<Envelope> parseEnvelope(std::string_view body) {
  auto j = parseObject(body);
  if (!j) return j.error();
  Envelope e;
  e.success = (*j)["success"].get<bool>();
  if (auto errs = j->find("errors"); errs != j->end() && errs->is_array()) {
    for (const auto& err : *errs) {
      if (!err.is_object()) continue;
      e.errors.push_back({intField(err, "code", 0), str(err, "message")});
    }
  }
  if (auto info = j->find("result_info"); info != j->end() && info->is_object()) {
    e.page = intField(*info, "page", 1);
    e.totalPages = intField(*info, "total_pages", 1);
  }
  return e;
}

Result<std::vector<CfRecord>> parseRecords(std::string_view body) {
  auto j = parseObject(body);
  if (!j) return j.error();
  auto arr = resultArray(*j);
  if (!arr) return arr.error();
  std::vector<CfRecord> out;
  for (const auto& r : **arr) {
    if (!r.is_object()) return Error::invalidArgument("a DNS record is not an object");
    CfRecord rec{str(r, "id"), str(r, "type"), str(r, "name"), str(r, "content"), 1};
    if (rec.id.empty() || rec.type.empty() || rec.name.empty())
      return Error::invalidArgument("a DNS record lacks id, type or name");
    int ttl = intField(r, "ttl", 1);
    rec.ttl = static_cast<uint32_t>(ttl);
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<CfZone>> parseZones(std::string_view body) {
  auto j = parseObject(body);
  if (!j) return j.error();
  auto arr = resultArray(*j);
  if (!arr) return arr.error();
  std::vector<CfZone> out;
  for (const auto& z : **arr)
    if (z.is_object() && !str(z, "id").empty()) out.push_back({str(z, "id"), str(z, "name")});
  return out;
}

std::string describeErrors(const std::vector<CfError>& errors) {
  std::string out;
  for (const auto& e : errors)
    out += (out.empty() ? "" : "; ") + std::string("code ") + std::to_string(e.code) + ": " +
           e.message;
  return out;
}

std::string renderCreate(const std::string& name, const std::string& content, uint32_t ttl) {
  return dump({{"type", "TXT"}, {"name", name}, {"content", content}, {"ttl", ttl}});
}

std::string renderContentPatch(const std::string& content) {
  return dump({{"content", content}});
}

}  // namespace mailroom::dnspub::cloudflare
