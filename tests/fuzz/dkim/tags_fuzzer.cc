// Tag-list parsers of RFC 6376 §3.2: DKIM-Signature values (§3.5) and key records (§3.6.1).
// The first byte picks the parser ('S' signature, 'K' key record, anything else the bare tag
// list); whatever parses must render and parse back to the same thing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/signature.h"
#include "lib/auth/dkim/tags.h"

using namespace mailroom::dkim;

namespace {

bool sameSignature(const Signature& a, const Signature& b, bool withCopied) {
  return a.algorithm == b.algorithm && a.signature == b.signature && a.bodyHash == b.bodyHash &&
         a.canon == b.canon && a.domain == b.domain && a.headers == b.headers &&
         a.identity == b.identity && a.length == b.length && a.selector == b.selector &&
         a.timestamp == b.timestamp && a.expiration == b.expiration &&
         (!withCopied || (a.query == b.query && a.copiedHeaders == b.copiedHeaders));
}

bool sameKey(const KeyRecord& a, const KeyRecord& b) {
  return a.keyType == b.keyType && a.hashes == b.hashes && a.services == b.services &&
         a.notes == b.notes && a.publicKey == b.publicKey && a.revoked == b.revoked &&
         a.testing == b.testing && a.strictIdentity == b.strictIdentity;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  char mode = static_cast<char>(data[0]);
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode == 'S') {
    auto sig = parseSignature(text);
    if (!sig.ok()) return 0;
    auto again = parseSignature(renderSignatureTags(*sig));
    if (!again.ok() || !sameSignature(*sig, *again, true)) abort();
    // The folded header form the signer emits parses back too (it omits q= and z=).
    std::string field = renderSignatureField(*sig);
    auto folded = parseSignature(std::string_view(field).substr(field.find(':') + 1));
    if (!folded.ok() || !sameSignature(*sig, *folded, false)) abort();
  } else if (mode == 'K') {
    auto key = parseKeyRecord(text);
    if (!key.ok()) return 0;
    auto again = parseKeyRecord(renderKeyRecord(*key));
    if (!again.ok() || !sameKey(*key, *again)) abort();
  } else {
    auto tags = parseTagList(text);
    if (!tags.ok()) return 0;
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& t : *tags) {
      if (t.valueBegin > t.valueEnd || t.valueEnd > text.size()) abort();
      pairs.emplace_back(t.name, t.value);
    }
    auto again = parseTagList(renderTagList(pairs));
    if (!again.ok() || again->size() != tags->size()) abort();
    for (size_t i = 0; i < tags->size(); ++i)
      if ((*again)[i].name != (*tags)[i].name || (*again)[i].value != (*tags)[i].value) abort();
  }
  return 0;
}
