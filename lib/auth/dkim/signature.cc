#include "lib/auth/dkim/signature.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/tags.h"

namespace mailroom::dkim {
namespace {

constexpr size_t kMaxLine = 78;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

Error tagError(std::string_view tag, std::string_view what) {
  return Error::invalidArgument(std::string(tag) + "=: " + std::string(what));
}

Result<uint64_t> parseNumber(std::string_view tag, std::string_view v, size_t maxDigits) {
  if (v.empty() || v.size() > maxDigits) return tagError(tag, "not a decimal number");
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return tagError(tag, "not a decimal number");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Result<Canon> parseCanon(std::string_view s) {
  if (s == "simple") return Canon::kSimple;
  if (s == "relaxed") return Canon::kRelaxed;
  return tagError("c", "unknown canonicalization '" + std::string(s) + "'");
}

// d= and s= are domain names (§3.5 "domain-name", §3.1 selector = sub-domain *("." ...)):
// non-empty labels of letters, digits, '-' and '_' (seen in real selectors), no whitespace.
bool isDomainName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0 || s.size() > 1;  // one trailing dot is tolerated
}

// True when host equals domain or is a subdomain of it (case-insensitive).
bool withinDomain(std::string_view host, std::string_view domain) {
  std::string h = lower(host), d = lower(domain);
  if (h == d) return true;
  return h.size() > d.size() && h.ends_with(d) && h[h.size() - d.size() - 1] == '.';
}

// The length of the last line of a folded field.
size_t lastLineLength(std::string_view field) {
  size_t lastBreak = field.rfind("\r\n");
  return lastBreak == std::string_view::npos ? field.size() : field.size() - lastBreak - 2;
}

// Folds tokens into lines of at most kMaxLine characters with CRLF + TAB.
class Folder {
 public:
  explicit Folder(std::string start) : out_(std::move(start)), line_(out_.size()) {
    out_.reserve(512);  // a usual field; one allocation
  }
  Folder(std::string start, size_t lineLength) : out_(std::move(start)), line_(lineLength) {}
  Folder(std::string_view start, size_t lineLength) : line_(lineLength) {
    out_.reserve(std::max<size_t>(512, start.size() + 256));  // a usual field; one allocation
    out_.append(start);
  }
  // "b=" is added like any token; reserve room for a few value characters so it never ends
  // a line alone.
  // A token given as its parts (no temporary string for "name=value;").
  void add(std::initializer_list<std::string_view> parts, bool spaceBefore) {
    size_t size = 0;
    for (auto part : parts) size += part.size();
    bool isB = parts.size() == 1 && *parts.begin() == "b=";
    size_t need = size + (spaceBefore ? 1 : 0) + (isB ? 8 : 0);
    if (line_ + need > kMaxLine && line_ > 1) {
      out_ += "\r\n\t";
      line_ = 1;
    } else if (spaceBefore) {
      out_ += ' ';
      ++line_;
    }
    for (auto part : parts) out_ += part;
    line_ += size;
  }
  // Text that may be broken anywhere (base64): fills lines to the limit.
  void addBreakable(std::string_view text) {
    while (!text.empty()) {
      size_t room = line_ < kMaxLine ? kMaxLine - line_ : 0;
      if (room == 0) {
        out_ += "\r\n\t";
        line_ = 1;
        continue;
      }
      size_t n = std::min(room, text.size());
      out_ += text.substr(0, n);
      line_ += n;
      text.remove_prefix(n);
    }
  }
  size_t lineLength() const { return line_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  size_t line_;
};

}  // namespace

Result<Signature> parseSignature(std::string_view value) {
  auto tags = parseTagList(value);
  if (!tags) return tags.error();
  Signature sig;
  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!findTag(*tags, required)) return tagError(required, "required tag missing");

  if (findTag(*tags, "v")->value != "1") return tagError("v", "version must be 1");

  const std::string& a = findTag(*tags, "a")->value;
  auto alg = parseAlgorithm(a);
  if (!alg) return tagError("a", "unsupported algorithm '" + a + "'");
  sig.algorithm = *alg;

  auto b = base64Decode(findTag(*tags, "b")->value);
  if (!b) return tagError("b", b.error().message);
  if (b->empty()) return tagError("b", "empty signature");
  sig.signature = std::move(*b);

  auto bh = base64Decode(findTag(*tags, "bh")->value);
  if (!bh) return tagError("bh", bh.error().message);
  if (bh->size() != 32) return tagError("bh", "body hash is not 32 bytes (SHA-256)");
  sig.bodyHash = std::move(*bh);

  if (const Tag* c = findTag(*tags, "c")) {
    std::string v = lower(stripWhitespace(c->value));
    size_t slash = v.find('/');
    auto h = parseCanon(v.substr(0, slash));
    if (!h) return h.error();
    sig.canon.header = *h;
    sig.canon.body = Canon::kSimple;
    if (slash != std::string::npos) {
      auto bc = parseCanon(v.substr(slash + 1));
      if (!bc) return bc.error();
      sig.canon.body = *bc;
    }
  }

  sig.domain = findTag(*tags, "d")->value;
  if (!isDomainName(sig.domain)) return tagError("d", "not a domain name");

  bool hasFrom = false;
  std::string hv = stripWhitespace(findTag(*tags, "h")->value);
  size_t pos = 0;
  while (true) {
    size_t colon = hv.find(':', pos);
    std::string name = hv.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (name.empty()) return tagError("h", "empty header field name");
    if (lower(name) == "from") hasFrom = true;
    sig.headers.push_back(std::move(name));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  if (!hasFrom) return tagError("h", "From must be signed (RFC 6376 §5.4)");

  if (const Tag* i = findTag(*tags, "i")) {
    sig.identity = stripWhitespace(i->value);
    size_t at = sig.identity.rfind('@');
    if (at == std::string::npos) return tagError("i", "identity has no '@'");
    if (!withinDomain(sig.identity.substr(at + 1), sig.domain))
      return tagError("i", "identity domain is not d= or a subdomain of it");
  } else {
    sig.identity = "@" + sig.domain;
  }

  if (const Tag* l = findTag(*tags, "l")) {
    auto n = parseNumber("l", stripWhitespace(l->value), 19);
    if (!n) return n.error();
    sig.length = *n;
  }
  if (const Tag* q = findTag(*tags, "q")) {
    sig.query = stripWhitespace(q->value);
    bool dnsTxt = false;
    size_t p = 0;
    while (p <= sig.query.size()) {
      size_t colon = sig.query.find(':', p);
      if (colon == std::string::npos) colon = sig.query.size();
      // "dns/txt" possibly with options after a '/'; compare the method/format pair.
      if (lower(sig.query.substr(p, colon - p)).starts_with("dns/txt")) dnsTxt = true;
      p = colon + 1;
    }
    if (!dnsTxt) return tagError("q", "no supported query method (dns/txt)");
  }
  sig.selector = findTag(*tags, "s")->value;
  if (!isDomainName(sig.selector)) return tagError("s", "not a selector (dot-separated labels)");

  if (const Tag* t = findTag(*tags, "t")) {
    auto n = parseNumber("t", stripWhitespace(t->value), 12);
    if (!n) return n.error();
    sig.timestamp = static_cast<int64_t>(*n);
  }
  if (const Tag* x = findTag(*tags, "x")) {
    auto n = parseNumber("x", stripWhitespace(x->value), 12);
    if (!n) return n.error();
    sig.expiration = static_cast<int64_t>(*n);
    if (sig.timestamp && *sig.expiration < *sig.timestamp)
      return tagError("x", "expiration before the signing time t=");
  }
  if (const Tag* z = findTag(*tags, "z")) sig.copiedHeaders = z->value;
  return sig;
}

std::string renderSignatureFieldPrefix(const SignatureFieldValues& sig) {
  Folder f(std::string(kSignatureFieldName) + ":");
  auto tag = [&](std::string_view name, std::string_view value) {
    f.add({name, "=", value, ";"}, true);
  };
  tag("v", "1");
  tag("a", algorithmName(sig.algorithm));
  f.add({"c=", canonName(sig.canon.header), "/", canonName(sig.canon.body), ";"}, true);
  tag("d", sig.domain);
  tag("s", sig.selector);
  bool defaultIdentity = sig.identity.size() == sig.domain.size() + 1 && sig.identity[0] == '@' &&
                         sig.identity.substr(1) == sig.domain;
  if (!defaultIdentity && !sig.identity.empty()) tag("i", sig.identity);
  return f.take();
}

std::string renderSignatureField(const SignatureFieldValues& sig, std::string_view prefix) {
  // The folding state after the prefix is the length of its last line: the result is the same
  // as rendering everything in one go.
  Folder f(prefix, lastLineLength(prefix));
  auto number = [&](std::string_view name, auto n) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    f.add({name, "=", std::string_view(digits, static_cast<size_t>(end - digits)), ";"}, true);
  };
  if (sig.length) number("l", *sig.length);
  if (sig.timestamp) number("t", *sig.timestamp);
  if (sig.expiration) number("x", *sig.expiration);
  // h= may fold after any colon (§3.5: FWS around ':').
  for (size_t i = 0; i < sig.headers.size(); ++i)
    f.add({i == 0 ? "h=" : "", sig.headers[i], i + 1 == sig.headers.size() ? ";" : ":"}, i == 0);
  // bh= is 44 characters for SHA-256; a parsed Signature may carry anything.
  char small[64];
  std::string large;
  char* bh = small;
  size_t bhSize = base64Length(sig.bodyHash.size());
  if (bhSize > sizeof small) bh = (large = std::string(bhSize, '\0')).data();
  base64EncodeTo(bh, sig.bodyHash);
  f.add({"bh=", std::string_view(bh, bhSize), ";"}, true);
  // b= goes last and its placement depends only on what precedes it, so the signed form
  // (empty b=) is exactly the final form with b='s value removed.
  f.add({"b="}, true);
  f.addBreakable(base64Encode(sig.signature));
  return f.take();
}

std::string renderSignatureField(const SignatureFieldValues& sig) {
  return renderSignatureField(sig, renderSignatureFieldPrefix(sig));
}

std::string renderSignatureField(const Signature& sig) {
  std::vector<std::string_view> headers(sig.headers.begin(), sig.headers.end());
  SignatureFieldValues v;
  v.algorithm = sig.algorithm;
  v.canon = sig.canon;
  v.domain = sig.domain;
  v.selector = sig.selector;
  v.identity = sig.identity;
  v.length = sig.length;
  v.timestamp = sig.timestamp;
  v.expiration = sig.expiration;
  v.headers = headers;
  v.bodyHash = sig.bodyHash;
  v.signature = sig.signature;
  return renderSignatureField(v);
}

std::string appendSignatureValue(std::string unsignedField, std::string_view signature) {
  size_t line = lastLineLength(unsignedField);
  Folder f(std::move(unsignedField), line);
  f.addBreakable(base64Encode(signature));
  return f.take();
}

std::string renderSignatureTags(const Signature& sig) {
  std::vector<std::pair<std::string, std::string>> tags;
  tags.emplace_back("v", "1");
  tags.emplace_back("a", algorithmName(sig.algorithm));
  tags.emplace_back("c",
                    std::string(canonName(sig.canon.header)) + "/" + canonName(sig.canon.body));
  tags.emplace_back("d", sig.domain);
  tags.emplace_back("s", sig.selector);
  tags.emplace_back("i", sig.identity);
  tags.emplace_back("q", sig.query);
  if (sig.length) tags.emplace_back("l", std::to_string(*sig.length));
  if (sig.timestamp) tags.emplace_back("t", std::to_string(*sig.timestamp));
  if (sig.expiration) tags.emplace_back("x", std::to_string(*sig.expiration));
  if (!sig.copiedHeaders.empty()) tags.emplace_back("z", sig.copiedHeaders);
  std::string h;
  for (const auto& name : sig.headers) h += (h.empty() ? "" : ":") + name;
  tags.emplace_back("h", h);
  tags.emplace_back("bh", base64Encode(sig.bodyHash));
  tags.emplace_back("b", base64Encode(sig.signature));
  return renderTagList(tags);
}

}  // namespace mailroom::dkim
