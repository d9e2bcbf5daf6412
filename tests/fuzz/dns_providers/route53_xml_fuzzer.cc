// The Route 53 answer parsers (the XML reader, ListResourceRecordSets, ListHostedZonesByName,
// error bodies) never crash on any input; every record set a page yields renders into a change
// batch that the reader parses back with the same values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "operator/dns/providers/route53/api.h"
#include "operator/dns/providers/route53/xml.h"

using namespace mailroom::dnspub::route53;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)parseError(in);
  (void)parseHostedZoneId(in, "example.com");
  auto page = parseListResourceRecordSets(in);
  if (!page) return 0;
  std::vector<R53Change> changes;
  for (const auto& rs : page->rrsets) changes.push_back({"CREATE", rs});
  auto doc = parseXml(renderChangeBatch(changes, "fuzz"));
  if (!doc) {
    std::fprintf(stderr, "rendered change batch does not parse\n");
    std::abort();
  }
  auto got = doc->child("ChangeBatch")->child("Changes")->childrenNamed("Change");
  for (size_t i = 0; i < got.size(); ++i) {
    auto records = got[i]->child("ResourceRecordSet")->child("ResourceRecords");
    auto values = records->childrenNamed("ResourceRecord");
    for (size_t j = 0; j < values.size(); ++j) {
      if (values[j]->childText("Value") != changes[i].rrset.values[j]) {
        std::fprintf(stderr, "a value did not round-trip\n");
        std::abort();
      }
    }
  }
  return 0;
}
