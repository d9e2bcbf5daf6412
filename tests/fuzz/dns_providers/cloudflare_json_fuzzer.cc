// The Cloudflare API v4 envelope parsers never throw or crash on any answer; a record page that
// parses renders back into create bodies that are JSON with the same content.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/dns/providers/cloudflare/api.h"

using namespace mailroom::dnspub::cloudflare;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto e = parseEnvelope(in)) (void)describeErrors(e->errors);
  (void)parseZones(in);
  auto recs = parseRecords(in);
  if (!recs) return 0;
  for (const auto& r : *recs) {
    auto body = nlohmann::json::parse(renderCreate(r.name, r.content, r.ttl), nullptr, false);
    if (body.is_discarded() || !body["content"].is_string()) {
      std::fprintf(stderr, "rendered body is not JSON\n");
      std::abort();
    }
  }
  return 0;
}
