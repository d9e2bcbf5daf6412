#include "lib/auth/dkim/hash.h"

#include <array>
#include <memory>

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

std::vector<size_t> selectHeaderFields(const mime::MessageView& message,
                                       std::span<const std::string_view> h, size_t skip) {
  const auto& headers = message.headers;
  // Which fields are taken already; on the stack for any usual message.
  std::array<bool, 64> small{};
  std::unique_ptr<bool[]> large;
  bool* used = small.data();
  if (headers.size() > small.size())
    used = (large = std::make_unique<bool[]>(headers.size())).get();
  std::vector<size_t> fields;
  fields.reserve(h.size());
  for (std::string_view name : h) {
    for (size_t i = headers.size(); i-- > 0;) {
      if (i == skip || used[i] || !nameEquals(headers[i].name, name)) continue;
      used[i] = true;
      fields.push_back(i);
      break;
    }
  }
  return fields;
}

void appendHeaderHashInput(std::string& out, const mime::MessageView& message,
                           std::span<const size_t> fields, Canon canon,
                           std::string_view signatureField) {
  // One buffer sized for the worst case, every field written into it by pointer.
  size_t size = canonicalHeaderBound(signatureField.size());
  for (size_t i : fields) size += message.headers[i].raw.size() + 3;
  size_t start = out.size();
  out.resize(start + size);
  char* w = out.data() + start;
  for (size_t i : fields) w = canonicalizeHeaderTo(w, canon, message.headers[i].raw);
  w = canonicalizeHeaderTo(w, canon, signatureField);
  w -= 2;  // §3.7: the signature field is hashed without its CRLF
  out.resize(static_cast<size_t>(w - out.data()));
}

void appendHeaderHashInput(std::string& out, const mime::MessageView& message,
                           std::span<const std::string_view> h, Canon canon,
                           std::string_view signatureField, size_t skip) {
  appendHeaderHashInput(out, message, selectHeaderFields(message, h, skip), canon, signatureField);
}

void headerHashInput(const mime::Message& message, const std::vector<std::string>& h, Canon canon,
                     std::string_view signatureField, const BodySink& sink,
                     const mime::HeaderField* skip) {
  sink(headerHashInput(message, h, canon, signatureField, skip));
}

std::string headerHashInput(const mime::Message& message, const std::vector<std::string>& h,
                            Canon canon, std::string_view signatureField,
                            const mime::HeaderField* skip) {
  mime::MessageView view = mime::viewOf(message);
  std::vector<std::string_view> names(h.begin(), h.end());
  size_t skipIndex = mime::MessageView::npos;
  for (size_t i = 0; i < message.headers.size(); ++i)
    if (&message.headers[i] == skip) skipIndex = i;
  std::string out;
  appendHeaderHashInput(out, view, names, canon, signatureField, skipIndex);
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
