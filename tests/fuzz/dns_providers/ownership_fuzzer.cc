// parse -> render -> parse for ownership values: whatever the parser accepts renders to a value
// that parses back to the same ownership, and rendering is a fixed point after one round.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "operator/dns/registry.h"

using namespace mailroom::dnspub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto first = parseOwnership(in);
  if (!first) return 0;
  std::string text = renderOwnership(*first);
  auto second = parseOwnership(text);
  if (!second || !(*second == *first) || renderOwnership(*second) != text) {
    std::fprintf(stderr, "ownership value did not round-trip: %s\n", text.c_str());
    std::abort();
  }
  return 0;
}
