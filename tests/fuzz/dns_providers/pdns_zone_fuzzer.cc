// The PowerDNS zone parser never throws or crashes on any answer; every TXT content it yields
// that parses renders back to content with the same logical value; a PATCH rendered from the
// parsed rrsets is valid JSON.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/dns/providers/powerdns/zone_json.h"
#include "operator/dns/txt_presentation.h"

using namespace mailroom::dnspub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)powerdns::errorMessage(in);
  auto zone = powerdns::parseZone(in);
  if (!zone) return 0;
  std::vector<powerdns::RRsetWrite> writes;
  for (const auto& rs : zone->rrsets) {
    writes.push_back({powerdns::RRsetWrite::Kind::kReplace, rs});
    for (const auto& rec : rs.records) {
      auto value = parseTxtContent(rec.content);
      if (!value) continue;
      auto again = parseTxtContent(renderTxtContent(*value));
      if (!again || *again != *value) {
        std::fprintf(stderr, "TXT content did not round-trip: %s\n", rec.content.c_str());
        std::abort();
      }
    }
  }
  auto patch = nlohmann::json::parse(powerdns::renderPatch(writes), nullptr, false);
  if (patch.is_discarded()) {
    std::fprintf(stderr, "rendered PATCH is not JSON\n");
    std::abort();
  }
  return 0;
}
