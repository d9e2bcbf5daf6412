// Header parser + DKIM canonicalizer (RFC 6376 §3.4): any input parses or is rejected without
// crashing; canonicalizing a canonical form again gives the same bytes (header relaxed, body
// simple and relaxed); the signing-side helpers (header selection, hash input, b= blanking)
// never crash on what the parser accepts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/hash.h"
#include "lib/auth/dkim/sign.h"
#include "lib/mime/message.h"

using namespace mailroom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto message = mime::parseMessage(input);
  if (!message.ok()) return 0;

  for (const auto& field : message->headers) {
    std::string relaxed = dkim::canonicalizeHeader(dkim::Canon::kRelaxed, field.raw);
    std::string simple = dkim::canonicalizeHeader(dkim::Canon::kSimple, field.raw);
    if (!relaxed.ends_with("\r\n") || simple != field.raw + "\r\n") abort();
    std::string_view once(relaxed.data(), relaxed.size() - 2);
    if (dkim::canonicalizeHeader(dkim::Canon::kRelaxed, once) != relaxed) abort();
    if (mime::iequals(field.name, "DKIM-Signature")) {
      auto emptied = dkim::withEmptySignatureValue(field.raw);
      if (emptied.ok() && emptied->size() > field.raw.size()) abort();
    }
  }
  for (dkim::Canon c : {dkim::Canon::kSimple, dkim::Canon::kRelaxed}) {
    std::string once = dkim::canonicalizeBody(c, message->body);
    if (dkim::canonicalizeBody(c, once) != once) abort();
    if (!once.empty() && !once.ends_with("\r\n")) abort();
    if (c == dkim::Canon::kSimple && once.empty()) abort();  // empty body is CRLF (§3.4.3)
  }
  auto h = dkim::headersToSign(*message);
  (void)dkim::headerHashInput(*message, h, dkim::Canon::kRelaxed, "DKIM-Signature: b=");
  (void)dkim::fromDomain(*message);
  return 0;
}
