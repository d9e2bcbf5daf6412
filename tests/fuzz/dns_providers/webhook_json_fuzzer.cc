// The external-dns webhook protocol parsers (endpoints, domain filter, changes in either
// capitalization) never throw or crash; whatever parses renders and parses back to the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "operator/dns/providers/webhook/protocol.h"

using namespace mailroom::dnspub::webhook;

namespace {
void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto f = parseDomainFilter(in)) (void)f->matches("mail.example.com");
  if (auto eps = parseEndpoints(in)) {
    auto again = parseEndpoints(renderEndpoints(*eps));
    if (!again || !(*again == *eps)) fail("endpoints did not round-trip");
  }
  if (auto c = parseChanges(in)) {
    auto again = parseChanges(renderChanges(*c));
    if (!again || !(*again == *c)) fail("changes did not round-trip");
  }
  return 0;
}
