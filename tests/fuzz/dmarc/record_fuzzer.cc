// parse -> render -> parse for DMARC records; the input also goes through orgDomain() over a
// small list, whose answer must be a suffix of the (lower-cased) input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lib/auth/dmarc/psl.h"
#include "lib/auth/dmarc/record.h"

using namespace mailroom::dmarc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto first = parseRecord(in);
  if (first) {
    std::string text = renderRecord(*first);
    auto second = parseRecord(text);
    if (!second || !(*second == *first) || renderRecord(*second) != text) {
      std::fprintf(stderr, "DMARC round trip failed: %s\n", text.c_str());
      std::abort();
    }
  }
  static const PublicSuffixList list = parsePublicSuffixList("com\nco.uk\n*.ck\n!www.ck\n");
  std::string org = orgDomain(in, list);
  std::string name(in);
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!name.ends_with(org)) {
    std::fprintf(stderr, "orgDomain is not a suffix of its input\n");
    std::abort();
  }
  return 0;
}
