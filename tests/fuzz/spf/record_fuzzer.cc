// parse -> render -> parse: every record the parser accepts renders to text that parses back to
// the same terms, and rendering is a fixed point after one round.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lib/auth/spf/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto first = mailroom::spf::parseRecord(in);
  if (!first) return 0;
  std::string text = mailroom::spf::renderRecord(*first);
  auto second = mailroom::spf::parseRecord(text);
  if (!second) {
    std::fprintf(stderr, "rendered record does not parse: %s: %s\n", text.c_str(),
                 second.error().message.c_str());
    std::abort();
  }
  if (!(*second == *first) || mailroom::spf::renderRecord(*second) != text) {
    std::fprintf(stderr, "round trip changed the record: %s\n", text.c_str());
    std::abort();
  }
  return 0;
}
