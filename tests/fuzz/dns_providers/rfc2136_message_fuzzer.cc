// The RFC2136 provider's DNS message parser (RFC 1035 §4.1 with compression) and TSIG record
// parser never crash on any input; whatever decodes encodes (uncompressed) and decodes back to
// the same message; TXT and TSIG RDATA round-trip; TSIG verification of any decoded message
// fails cleanly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "operator/dns/providers/rfc2136/tsig.h"
#include "operator/dns/providers/rfc2136/wire.h"

using namespace mailroom::dnspub::rfc2136;

namespace {
void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto first = decode(in);
  if (!first) return 0;
  auto wire = encode(*first);
  if (!wire) return 0;  // a name with escapes only the reader makes may not re-encode
  auto second = decode(*wire);
  if (!second) fail("an encoded message does not decode");
  Message a = *first, b = *second;
  a.lastAdditionalOffset = b.lastAdditionalOffset = 0;
  if (!(a == b)) fail("message did not round-trip");
  for (const auto* section : {&first->answers, &first->authority, &first->additional}) {
    for (const auto& rr : *section) {
      if (rr.type == kTypeTxt) {
        auto v = decodeTxtRdata(rr.rdata);
        if (v && *decodeTxtRdata(encodeTxtRdata(*v)) != *v) fail("TXT did not round-trip");
      }
      if (rr.type == kTypeTsig) {
        auto t = decodeTsigRdata(rr.rdata);
        if (!t) continue;
        auto rd = encodeTsigRdata(*t);
        if (rd && !(*decodeTsigRdata(*rd) == *t)) fail("TSIG RDATA did not round-trip");
      }
    }
  }
  TsigKey key{"k", TsigAlgorithm::kHmacSha256, Bytes(32, 7)};
  TsigVerifier verifier(key, Bytes(32, 1));
  (void)verifier.verify(in, *first, 0);
  return 0;
}
