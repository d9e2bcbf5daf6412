// decode(bytes) is an error or a value whose encoding is exactly `bytes` (the encoding is
// canonical), for the bare envelope payload, the stored file format and final/ batches.
#include <cstdint>
#include <cstdlib>
#include <string>
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
  // A final/ batch: the valid prefix re-encodes to exactly its bytes.
  auto batch = decodeStoredBatch(bytes);
  if (batch.validBytes > bytes.size()) std::abort();
  std::string rebuilt;
  for (const auto& record : batch.records) rebuilt += encodeStored(record);
  if (rebuilt != bytes.substr(0, batch.validBytes)) std::abort();
  return 0;
}
