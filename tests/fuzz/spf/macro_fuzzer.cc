// The macro expander over arbitrary input: never crashes, domain-spec results fit in 253
// octets (RFC 7208 §7.3), and whatever validateDomainSpec accepts also expands.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/auth/spf/macro.h"

using namespace mailroom::spf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: bit 0 = mode, bit 1 = client family. The rest is the macro-string.
  MacroMode mode = (data[0] & 1) ? MacroMode::kExplanation : MacroMode::kDomainSpec;
  std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  MacroContext ctx;
  ctx.sender = "strong-bad+tag@email.example.com";
  ctx.domain = "email.example.com";
  ctx.ip = boost::asio::ip::make_address((data[0] & 2) ? "2001:db8::cb01" : "198.51.100.3");
  ctx.helo = "mx.example.org";
  ctx.validatedName = "mx.example.org";
  ctx.timestamp = 1700000000;
  auto out = expandMacros(s, ctx, mode);
  if (out && mode == MacroMode::kDomainSpec && out->size() > 253) {
    std::fprintf(stderr, "domain-spec expansion over 253 octets\n");
    std::abort();
  }
  if (validateDomainSpec(s) && !expandMacros(s, ctx, MacroMode::kDomainSpec)) {
    std::fprintf(stderr, "valid domain-spec failed to expand\n");
    std::abort();
  }
  (void)usesMacro(s, 'p');
  return 0;
}
