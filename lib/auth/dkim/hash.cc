#include "lib/auth/dkim/hash.h"

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/keys.h"
#include "lib/auth/dkim/tags.h"

namespace mailroom::dkim {
namespace {

// ASCII case-insensitive equality (header field names are ASCII; no locale lookups).
bool nameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string bodyHashOfCanonical(std::string_view canonicalBody, std::optional<uint64_t> length) {
  if (length && *length < canonicalBody.size()) canonicalBody = canonicalBody.substr(0, *length);
  return sha256(canonicalBody);
}

void headerHashInput(const mime::Message& message, const std::vector<std::string>& h, Canon canon,
                     std::string_view signatureField, const BodySink& sink,
                     const mime::HeaderField* skip) {
  std::vector<bool> used(message.headers.size(), false);
  for (const auto& name : h) {
    for (size_t i = message.headers.size(); i-- > 0;) {
      const auto& field = message.headers[i];
      if (used[i] || &field == skip || !nameEquals(field.name, name)) continue;
      used[i] = true;
      sink(canonicalizeHeader(canon, field.raw));
      break;
    }
  }
  std::string sig = canonicalizeHeader(canon, signatureField);
  sig.resize(sig.size() - 2);  // §3.7: the signature field is hashed without its CRLF
  sink(sig);
}

std::string headerHashInput(const mime::Message& message, const std::vector<std::string>& h,
                            Canon canon, std::string_view signatureField,
                            const mime::HeaderField* skip) {
  std::string out;
  headerHashInput(
      message, h, canon, signatureField, [&](std::string_view part) { out.append(part); }, skip);
  return out;
}

Result<std::string> withEmptySignatureValue(std::string_view rawField) {
  size_t colon = rawField.find(':');
  if (colon == std::string_view::npos) return Error::invalidArgument("not a header field");
  auto tags = parseTagList(rawField.substr(colon + 1));
  if (!tags) return tags.error();
  const Tag* b = findTag(*tags, "b");
  if (!b) return Error::invalidArgument("b=: required tag missing");
  std::string out(rawField);
  out.erase(colon + 1 + b->valueBegin, b->valueEnd - b->valueBegin);
  return out;
}

}  // namespace mailroom::dkim
