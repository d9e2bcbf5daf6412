#include "lib/auth/dkim/sign.h"

#include <array>
#include <cstdint>
#include <cstring>

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

inline char lowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

// ASCII case-insensitive equality, without allocating.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lowerChar(a[i]) != lowerChar(b[i])) return false;
  return true;
}

// name equals lower (which is lower case) ignoring ASCII case; 8 bytes per step.
bool equalsLower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, name.data() + i, 8);
    std::memcpy(&y, lower.data() + i, 8);
    // Bit 7 of a byte of upper is set where x has 'A'..'Z' (exact for every byte value).
    constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7full, k80 = 0x8080808080808080ull;
    uint64_t h = x & k7f;
    uint64_t upper = (h + 0x3f3f3f3f3f3f3f3full) & ~(h + 0x2525252525252525ull) & ~x & k80;
    if ((x | upper >> 2) != y) return false;
  }
  for (; i < name.size(); ++i)
    if (lowerChar(name[i]) != lower[i]) return false;
  return true;
}

bool withinDomain(std::string_view host, std::string_view domain) {
  if (iequals(host, domain)) return true;
  return host.size() > domain.size() && iequals(host.substr(host.size() - domain.size()), domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

// kSignedFields by name length (at most two share one), to look a field name up with one or two
// comparisons.
constexpr size_t kMaxSignedName = 25;
struct ByLength {
  std::array<std::array<int8_t, 2>, kMaxSignedName + 1> index;
};
constexpr ByLength makeByLength() {
  ByLength t{};
  for (auto& slot : t.index) slot = {-1, -1};
  for (size_t i = 0; i < kSignedFields.size(); ++i) {
    auto& slot = t.index[kSignedFields[i].size()];
    if (slot[1] >= 0) throw "three signed field names of one length: widen ByLength";
    slot[slot[0] < 0 ? 0 : 1] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr ByLength kByLength = makeByLength();

// Index of name in kSignedFields (case-insensitive), or -1.
int signedFieldIndex(std::string_view name) {
  if (name.size() > kMaxSignedName) return -1;
  for (int8_t i : kByLength.index[name.size()])
    if (i >= 0 && equalsLower(name, kSignedFields[static_cast<size_t>(i)])) return i;
  return -1;
}

// h= (views of kSignedFields; see headersToSign) and the §5.4.2 selection it makes among
// these fields: each name's instances bottom-up (what selectHeaderFields would find).
struct SignedFields {
  std::vector<std::string_view> names;
  std::vector<size_t> order;  // indexes into the header fields, in hashing order
};
template <class Fields>
SignedFields signedFields(const Fields& headers) {
  std::array<size_t, kSignedFields.size()> counts{};
  std::array<int8_t, 64> small;
  std::vector<int8_t> large;
  int8_t* kind = small.data();
  if (headers.size() > small.size()) kind = (large = std::vector<int8_t>(headers.size())).data();
  size_t total = 0;
  for (size_t i = 0; i < headers.size(); ++i) {
    int k = signedFieldIndex(headers[i].name);
    kind[i] = static_cast<int8_t>(k);
    if (k >= 0) ++counts[static_cast<size_t>(k)], ++total;
  }
  SignedFields out;
  out.names.reserve(total + 1);
  out.order.resize(total);
  std::array<size_t, kSignedFields.size()> next{};  // where each name's instances go in order
  for (size_t k = 0, at = 0; k < kSignedFields.size(); ++k) {
    at += counts[k];
    next[k] = at;  // filled backwards: the bottom instance first
    // over-sign From: a From added later has no slot left (§8.15)
    for (size_t n = 0; n < counts[k] + (k == 0 ? 1 : 0); ++n) out.names.push_back(kSignedFields[k]);
  }
  for (size_t i = 0; i < headers.size(); ++i)
    if (kind[i] >= 0) out.order[--next[static_cast<size_t>(kind[i])]] = i;
  return out;
}

// The domain of the first address in a From value (see fromDomain).
std::string fromDomainOf(std::string v) {
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

}  // namespace

std::vector<std::string> headersToSign(const mime::Message& message) {
  auto fields = signedFields(message.headers);
  return std::vector<std::string>(fields.names.begin(), fields.names.end());
}

std::string fromDomain(const mime::Message& message) {
  const mime::HeaderField* from = message.find("From");
  return from ? fromDomainOf(from->value()) : std::string();
}

std::string fromDomain(const mime::MessageView& message) {
  size_t from = message.find("From");
  return from == mime::MessageView::npos ? std::string()
                                         : fromDomainOf(message.headers[from].value());
}

namespace {

// The values of the tags that depend only on the key.
SignatureFieldValues keyValues(const SigningKeyConfig& key) {
  SignatureFieldValues sig;
  sig.algorithm = key.algorithm;
  sig.canon = key.canon;
  sig.domain = key.domain;
  sig.selector = key.selector;
  sig.identity = key.identity;  // "" renders no i= (the default, "@" + d)
  return sig;
}

}  // namespace

DkimSigner::DkimSigner(std::vector<SigningKeyConfig> keys) : keys_(std::move(keys)) {
  for (const auto& key : keys_)
    fieldPrefixes_.push_back(renderSignatureFieldPrefix(keyValues(key)));
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
  // Views into message (no copy) unless its header section has bare LF or CR; the body is
  // canonicalized as written, any line end counting as one (as parseMessage would normalize).
  std::string storage;
  auto parsed = mime::parseMessageView(message, storage);
  if (!parsed) return parsed.error();
  return sign(*parsed, LineEnds::kAny, domain, now);
}

Result<std::string> DkimSigner::signatureHeaders(const mime::Message& message,
                                                 std::string_view domain,
                                                 std::chrono::system_clock::time_point now) const {
  return sign(mime::viewOf(message), LineEnds::kCrlf, domain, now);
}

Result<std::string> DkimSigner::sign(const mime::MessageView& message, LineEnds lineEnds,
                                     std::string_view domain,
                                     std::chrono::system_clock::time_point now) const {
  if (message.find("From") == mime::MessageView::npos)
    return Error::invalidArgument("dkim: message has no From field (RFC 5322 §3.6)");
  std::string d = domain.empty() ? fromDomain(message) : lower(domain);
  if (d.ends_with('.')) d.pop_back();
  SignedFields h = signedFields(message.headers);
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  // One canonicalization and hash of the body per body canonicalization, shared by all keys;
  // one SHA-256 context for all the hashes of this message.
  std::array<char, 32> bodyHashes[2];
  bool haveBodyHash[2] = {false, false};
  Sha256 hash;
  bool hashUsed = false;
  auto freshHash = [&]() -> Sha256& {
    if (hashUsed) hash.reset();
    hashUsed = true;
    return hash;
  };
  std::string headerData;
  std::string out;
  for (size_t k = 0; k < keys_.size(); ++k) {
    const SigningKeyConfig& key = keys_[k];
    if (!withinDomain(d, key.domain)) continue;
    int c = key.canon.body == Canon::kSimple ? 0 : 1;
    if (!haveBodyHash[c]) {
      Sha256& bodyHash = freshHash();
      BodyCanonicalizer body(
          key.canon.body, [&](std::string_view chunk) { bodyHash.update(chunk); }, lineEnds);
      body.update(message.body);
      body.finish();
      bodyHash.finish(bodyHashes[c].data());
      haveBodyHash[c] = true;
    }

    SignatureFieldValues sig = keyValues(key);
    sig.headers = h.names;
    sig.bodyHash = std::string_view(bodyHashes[c].data(), bodyHashes[c].size());
    if (key.timestamp || key.validity) sig.timestamp = t;
    if (key.validity) sig.expiration = t + key.validity->count();
    // The field with an empty b= is what gets hashed (§3.7); b= is rendered last, so adding
    // the value afterwards leaves every other byte of the field unchanged.
    std::string unsignedField = renderSignatureField(sig, fieldPrefixes_[k]);
    headerData.clear();
    appendHeaderHashInput(headerData, message, h.order, key.canon.header, unsignedField);
    char digest[32];
    Sha256& headerHash = freshHash();
    headerHash.update(headerData);
    headerHash.finish(digest);
    auto signature = key.signer->sign(key.algorithm, std::string_view(digest, sizeof digest));
    if (!signature) return signature.error();
    std::string field = appendSignatureValue(std::move(unsignedField), *signature);
    field += "\r\n";
    if (out.empty()) {
      out = std::move(field);  // the usual single signature: no copy
    } else {
      out += field;
    }
  }
  if (out.empty()) return Error::notFound("dkim: no signing key for domain " + d);
  return out;
}

}  // namespace mailroom::dkim
