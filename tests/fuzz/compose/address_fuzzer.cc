// Address parsers: parse -> render -> parse must give the same value, for header address lists
// (raw UTF-8 and RFC 2047 renderings) and for envelope mailboxes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sidecar/compose/address.h"

using namespace mailroom::compose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto list = parseAddressList(in); list.ok()) {
    for (bool encode : {false, true}) {
      std::string rendered = renderAddressList(*list, encode, 4);
      auto back = parseAddressList(rendered);
      if (!back.ok() || !(*back == *list)) std::abort();
    }
  }
  if (auto m = parseEnvelopeAddress(in); m.ok()) {
    auto back = parseEnvelopeAddress(m->address());
    if (!back.ok() || !(*back == *m)) std::abort();
  }
  return 0;
}
