// decode(bytes) is an error or a value whose encoding is exactly `bytes` (the encoding is
// canonical), for both the bare envelope payload and the stored file format.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sidecar/spool/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailroom::spool;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto e = decodeEnvelope(bytes); e.ok()) {
    if (encodeEnvelope(*e) != bytes) std::abort();
  }
  if (auto s = decodeStored(bytes); s.ok()) {
    if (encodeStored(*s) != bytes) std::abort();
    auto again = decodeStored(encodeStored(*s));
    if (!again.ok() || !(*again == *s)) std::abort();
  }
  return 0;
}
