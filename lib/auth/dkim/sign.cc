#include "lib/auth/dkim/sign.h"

#include <array>
#include <map>

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/hash.h"

namespace mailroom::dkim {
namespace {

// RFC 6376 §5.4.1 recommended fields plus RFC 8058's List-Unsubscribe(-Post).
constexpr std::array<std::string_view, 14> kSignedFields = {"from",
                                                            "to",
                                                            "cc",
                                                            "subject",
                                                            "date",
                                                            "message-id",
                                                            "reply-to",
                                                            "in-reply-to",
                                                            "references",
                                                            "mime-version",
                                                            "content-type",
                                                            "content-transfer-encoding",
                                                            "list-unsubscribe",
                                                            "list-unsubscribe-post"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

bool withinDomain(std::string_view host, std::string_view domain) {
  std::string h = lower(host), d = lower(domain);
  if (h == d) return true;
  return h.size() > d.size() && h.ends_with(d) && h[h.size() - d.size() - 1] == '.';
}

}  // namespace

std::vector<std::string> headersToSign(const mime::Message& message) {
  std::array<size_t, kSignedFields.size()> counts{};
  for (const auto& field : message.headers) {
    std::string name = lower(field.name);
    for (size_t i = 0; i < kSignedFields.size(); ++i)
      if (name == kSignedFields[i]) ++counts[i];
  }
  ++counts[0];  // over-sign From: a From added later has no slot left (§8.15)
  std::vector<std::string> out;
  for (size_t i = 0; i < kSignedFields.size(); ++i)
    for (size_t n = 0; n < counts[i]; ++n) out.emplace_back(kSignedFields[i]);
  return out;
}

std::string fromDomain(const mime::Message& message) {
  const mime::HeaderField* from = message.find("From");
  if (!from) return {};
  std::string v = from->value();
  // The addr-spec is inside <> when a display name is present; otherwise the whole value.
  size_t lt = v.rfind('<');
  if (lt != std::string::npos) {
    size_t gt = v.find('>', lt);
    v = v.substr(lt + 1, gt == std::string::npos ? std::string::npos : gt - lt - 1);
  }
  size_t at = v.rfind('@');
  if (at == std::string::npos) return {};
  std::string d = v.substr(at + 1);
  size_t end = d.find_first_of(" \t>,;()");
  if (end != std::string::npos) d.resize(end);
  return lower(d);
}

Result<DkimSigner> DkimSigner::create(std::vector<SigningKeyConfig> keys) {
  if (keys.empty()) return Error::invalidArgument("dkim: no signing keys configured");
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& k = keys[i];
    std::string where = "dkim key " + std::to_string(i) + ": ";
    if (k.domain.empty()) return Error::invalidArgument(where + "empty domain");
    if (k.selector.empty()) return Error::invalidArgument(where + "empty selector");
    if (!k.signer) return Error::invalidArgument(where + "no signer");
    if (k.validity && k.validity->count() <= 0)
      return Error::invalidArgument(where + "validity must be positive");
    k.domain = lower(k.domain);
    if (k.domain.ends_with('.')) k.domain.pop_back();
    if (!k.identity.empty()) {
      size_t at = k.identity.rfind('@');
      if (at == std::string::npos || !withinDomain(k.identity.substr(at + 1), k.domain))
        return Error::invalidArgument(where + "identity " + k.identity + " is not within " +
                                      k.domain + " (RFC 6376 §3.5 i=)");
    }
    for (size_t j = 0; j < i; ++j)
      if (keys[j].domain == k.domain && keys[j].selector == k.selector)
        return Error::invalidArgument(where + "selector " + k.selector + " configured twice for " +
                                      k.domain);
  }
  return DkimSigner(std::move(keys));
}

Result<std::string> DkimSigner::signatureHeaders(std::string_view message, std::string_view domain,
                                                 std::chrono::system_clock::time_point now) const {
  auto parsed = mime::parseMessage(message);
  if (!parsed) return parsed.error();
  return signatureHeaders(*parsed, domain, now);
}

Result<std::string> DkimSigner::signatureHeaders(const mime::Message& message,
                                                 std::string_view domain,
                                                 std::chrono::system_clock::time_point now) const {
  if (!message.find("From"))
    return Error::invalidArgument("dkim: message has no From field (RFC 5322 §3.6)");
  std::string d = domain.empty() ? fromDomain(message) : lower(domain);
  if (d.ends_with('.')) d.pop_back();
  std::vector<std::string> h = headersToSign(message);
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  // One canonicalization and hash of the body per body canonicalization, shared by all keys.
  std::map<Canon, std::string> bodyHashes;
  std::string out;
  for (const auto& key : keys_) {
    if (!withinDomain(d, key.domain)) continue;
    auto& bh = bodyHashes[key.canon.body];
    if (bh.empty()) {
      Sha256 hash;
      canonicalizeBody(key.canon.body, message.body, [&](std::string_view c) { hash.update(c); });
      bh = hash.finish();
    }

    Signature sig;
    sig.algorithm = key.algorithm;
    sig.canon = key.canon;
    sig.domain = key.domain;
    sig.selector = key.selector;
    sig.identity = key.identity.empty() ? "@" + key.domain : key.identity;
    sig.headers = h;
    sig.bodyHash = bh;
    if (key.timestamp || key.validity) sig.timestamp = t;
    if (key.validity) sig.expiration = t + key.validity->count();
    // The field with an empty b= is what gets hashed (§3.7); b= is rendered last, so adding
    // the value afterwards leaves every other byte of the field unchanged.
    std::string unsignedField = renderSignatureField(sig);
    Sha256 headerHash;
    headerHashInput(message, h, key.canon.header, unsignedField,
                    [&](std::string_view part) { headerHash.update(part); });
    auto signature = key.signer->sign(key.algorithm, headerHash.finish());
    if (!signature) return signature.error();
    out += appendSignatureValue(std::move(unsignedField), *signature);
    out += "\r\n";
  }
  if (out.empty()) return Error::notFound("dkim: no signing key for domain " + d);
  return out;
}

}  // namespace mailroom::dkim
