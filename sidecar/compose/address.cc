#include "sidecar/compose/address.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <cctype>
#include <cstdlib>
#include <optional>

#include "lib/mime/message.h"

#include "sidecar/compose/encoding.h"

namespace mailroom::compose {
namespace {

constexpr size_t kMaxLocal = 64;    // RFC 5321 §4.5.3.1.1
constexpr size_t kMaxDomain = 255;  // RFC 5321 §4.5.3.1.2
constexpr size_t kMaxLabel = 63;    // RFC 1035 §2.3.4

// RFC 5322 §3.2.3 atext, extended by RFC 6532 §3.2 (and RFC 6531 for SMTP) to UTF-8.
bool isAtext(unsigned char c) {
  if (c >= 0x80) return true;
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(char(c)) != std::string_view::npos;
}

bool isDotString(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '.') {
      if (s[i + 1] == '.') return false;
      continue;
    }
    if (!isAtext(c)) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

Result<std::string> checkAddressLiteral(std::string_view lit) {
  // RFC 5321 §4.1.3: IPv4-address-literal / IPv6-address-literal; general literals have no
  // registered tags that SMTP clients can deliver to, so they are refused.
  std::string inner(lit.substr(1, lit.size() - 2));
  // inet_pton reads a C string: refuse anything but address characters first (a NUL would
  // otherwise end the string early and smuggle the rest through).
  if (inner.find_first_not_of("0123456789abcdefABCDEFIiPpVv:.") != std::string::npos)
    return Error::invalidArgument("invalid address literal " + std::string(lit));
  unsigned char buf[16];
  if (inner.size() > 5 && mime::iequals(std::string_view(inner).substr(0, 5), "IPv6:")) {
    if (inet_pton(AF_INET6, inner.c_str() + 5, buf) == 1) return "[IPv6:" + inner.substr(5) + "]";
    return Error::invalidArgument("invalid IPv6 address literal " + std::string(lit));
  }
  if (inet_pton(AF_INET, inner.c_str(), buf) == 1) return std::string(lit);
  return Error::invalidArgument("invalid address literal " + std::string(lit) +
                                " (expected [IPv4] or [IPv6:addr])");
}

Result<void> checkLocalPart(const std::string& local) {
  if (local.empty()) return Error::invalidArgument("empty local part");
  for (unsigned char c : local)
    if (c < 0x20 || c == 0x7F) return Error::invalidArgument("control character in local part");
  std::string rendered = isDotString(local) ? local : quote(local);
  if (rendered.size() > kMaxLocal)
    return Error::invalidArgument("local part is " + std::to_string(rendered.size()) +
                                  " octets, more than " + std::to_string(kMaxLocal));
  return {};
}

// A recursive-descent reader for the RFC 5322 §3.4 address grammar over an unfolded (or
// folded: CRLF before WSP is skipped) header value.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool atEnd() const { return pos_ >= s_.size(); }
  bool consume(char c) {
    if (atEnd() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  char peek() const { return atEnd() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }

  Result<void> skipCfws() {
    while (!atEnd()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '\r' || c == '\n') {
        if (!skipFold()) return err("line break that is not folding whitespace");
      } else if (c == '(') {
        auto r = skipComment();
        if (!r.ok()) return r;
      } else {
        break;
      }
    }
    return {};
  }

  struct Word {
    std::string text;
    bool quoted = false;
  };

  // 1*word where word = atom / quoted-string; atoms may contain '.' (obs-phrase, and
  // dot-atom local parts share the reader).
  Result<std::vector<Word>> words() {
    std::vector<Word> out;
    while (true) {
      if (auto r = skipCfws(); !r.ok()) return r.error();
      if (peek() == '"') {
        auto q = quotedString();
        if (!q.ok()) return q.error();
        out.push_back({std::move(*q), true});
      } else if (!atEnd() && (isAtext(peek()) || peek() == '.')) {
        out.push_back({atom(), false});
      } else {
        return out;
      }
    }
  }

  Result<Mailbox> addrSpec() {
    if (auto r = skipCfws(); !r.ok()) return r.error();
    std::string local;
    if (peek() == '"') {
      auto q = quotedString();
      if (!q.ok()) return q.error();
      local = std::move(*q);
    } else {
      local = atom();
      if (!isDotString(local)) return err("invalid local part \"" + local + "\"");
    }
    if (auto r = skipCfws(); !r.ok()) return r.error();
    return afterLocal(std::move(local));
  }

  Result<Mailbox> afterLocal(std::string local) {
    if (peek() != '@') return err("expected '@' after the local part");
    ++pos_;
    if (auto r = checkLocalPart(local); !r.ok()) return r.error();
    if (auto r = skipCfws(); !r.ok()) return r.error();
    std::string domain;
    if (peek() == '[') {
      size_t end = s_.find(']', pos_);
      if (end == std::string_view::npos) return err("unterminated domain literal");
      domain = std::string(s_.substr(pos_, end + 1 - pos_));
      pos_ = end + 1;
    } else {
      domain = atom();
    }
    auto d = normalizeDomain(domain);
    if (!d.ok()) return d.error();
    if (auto r = skipCfws(); !r.ok()) return r.error();
    return Mailbox{"", std::move(local), std::move(*d)};
  }

  // mailbox = name-addr / addr-spec; `words` already read (a display name or a local part).
  Result<Mailbox> mailboxAfterWords(const std::vector<Word>& ws) {
    if (peek() == '<') {
      ++pos_;
      if (auto r = skipCfws(); !r.ok()) return r.error();
      if (peek() == '@') return err("source routes (obs-route) are not supported");
      auto m = addrSpec();
      if (!m.ok()) return m;
      if (peek() != '>') return err("expected '>' to close the address");
      ++pos_;
      if (auto r = skipCfws(); !r.ok()) return r.error();
      m->displayName = phraseText(ws);
      return m;
    }
    if (peek() == '@') {
      if (ws.size() != 1) return err("invalid local part (several words before '@')");
      if (!ws[0].quoted && !isDotString(ws[0].text))
        return err("invalid local part \"" + ws[0].text + "\"");
      return afterLocal(ws[0].text);
    }
    if (ws.empty()) return err(atEnd() ? "expected an address" : unexpected());
    return err(atEnd() ? "missing '@' or '<address>'" : unexpected());
  }

  Result<Mailbox> mailbox() {
    auto ws = words();
    if (!ws.ok()) return ws.error();
    return mailboxAfterWords(*ws);
  }

  std::string unexpected() const { return std::string("unexpected character '") + peek() + "'"; }

  Error err(std::string what) const {
    return Error::invalidArgument(what + " at offset " + std::to_string(pos_));
  }

  // Display names: words joined by one space; unquoted encoded-words are decoded and the space
  // between two adjacent encoded-words is dropped (RFC 2047 §6.2).
  static std::string phraseText(const std::vector<Word>& ws) {
    std::string out;
    bool prevEncoded = false;
    for (size_t i = 0; i < ws.size(); ++i) {
      std::optional<std::string> decoded;
      if (!ws[i].quoted) decoded = decodeWord(ws[i].text);
      if (i > 0 && !(decoded && prevEncoded)) out += ' ';
      out += decoded ? *decoded : ws[i].text;
      prevEncoded = decoded.has_value();
    }
    return out;
  }

 private:
  bool skipFold() {
    size_t p = pos_;
    if (s_[p] == '\r' && p + 1 < s_.size() && s_[p + 1] == '\n') ++p;
    ++p;
    if (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) {
      pos_ = p;
      return true;
    }
    return false;
  }

  Result<void> skipComment() {
    int depth = 0;
    while (!atEnd()) {
      char c = s_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        pos_ += 2;
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (!skipFold()) return err("line break inside a comment");
        continue;
      }
      ++pos_;
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) return {};
    }
    return err("unterminated comment");
  }

  std::string atom() {
    size_t start = pos_;
    while (!atEnd() && (isAtext(s_[pos_]) || s_[pos_] == '.')) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<std::string> quotedString() {
    ++pos_;  // opening quote
    std::string out;
    while (!atEnd()) {
      unsigned char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        unsigned char e = s_[pos_ + 1];
        if ((e < 0x20 && e != '\t') || e == 0x7F) return err("control character in quoted string");
        out += char(e);
        pos_ += 2;
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (!skipFold()) return err("line break inside a quoted string");
        continue;  // the WSP after the fold is kept as content
      }
      if ((c < 0x20 && c != '\t') || c == 0x7F) return err("control character in quoted string");
      out += char(c);
      ++pos_;
    }
    return err("unterminated quoted string");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool simplePhrase(std::string_view name) {
  // Written bare only if it reads back identically: atext words separated by single spaces and
  // nothing a decoder could take for an encoded-word.
  if (name.empty() || name.front() == ' ' || name.back() == ' ') return false;
  if (name.find("=?") != std::string_view::npos) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = name[i];
    if (c == ' ') {
      if (name[i + 1] == ' ') return false;
    } else if (!isAtext(c)) {
      return false;
    }
  }
  return true;
}

size_t lastLineLength(const std::string& s) {
  size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s.size() : s.size() - nl - 1;
}

std::string renderPhrase(std::string_view name, bool encode, size_t used) {
  bool ascii = isAscii(name);
  if (encode && (!ascii || name.size() > 60)) return encodeWords(name, used);
  return simplePhrase(name) ? std::string(name) : quote(name);
}

// Appends `piece` after `sep`, folding before it when the line would pass 78 octets.
void appendFolded(std::string& out, size_t base, const std::string& sep, const std::string& piece) {
  size_t line = out.find('\n') == std::string::npos ? base + out.size() : lastLineLength(out);
  size_t firstLen = piece.find('\r') == std::string::npos ? piece.size() : piece.find('\r');
  if (!out.empty() && line + sep.size() + firstLen > 78) {
    std::string trimmed = sep;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    out += trimmed + "\r\n " + piece;
  } else {
    out += sep + piece;
  }
}

}  // namespace

bool Mailbox::utf8LocalPart() const {
  return !isAscii(localPart);
}

std::string Mailbox::address() const {
  return (isDotString(localPart) ? localPart : quote(localPart)) + "@" + domain;
}

Result<std::string> normalizeDomain(std::string_view domain) {
  if (domain.empty()) return Error::invalidArgument("empty domain");
  if (domain.front() == '[') {
    if (domain.back() != ']') return Error::invalidArgument("unterminated address literal");
    return checkAddressLiteral(domain);
  }
  if (!isValidUtf8(domain)) return Error::invalidArgument("domain is not valid UTF-8");
  std::string ascii;
  bool needsIdna = !isAscii(domain);
  for (size_t i = 0; !needsIdna && i + 4 <= domain.size(); ++i)
    needsIdna = (i == 0 || domain[i - 1] == '.') && mime::iequals(domain.substr(i, 4), "xn--");
  if (needsIdna) {
    // IDNA2008 + UTS #46 non-transitional (so "ß" stays "ß", as browsers and registries do).
    std::string in(domain);
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK)
      return Error::invalidArgument("invalid internationalized domain name \"" + in +
                                    "\": " + idn2_strerror(rc));
    ascii = out;
    idn2_free(out);
  } else {
    ascii = std::string(domain);
  }
  ascii = lower(ascii);
  if (ascii.size() > kMaxDomain)
    return Error::invalidArgument("domain is " + std::to_string(ascii.size()) +
                                  " octets, more than " + std::to_string(kMaxDomain));
  size_t start = 0;
  std::string lastLabel;
  while (true) {
    size_t dot = ascii.find('.', start);
    std::string_view label =
        std::string_view(ascii).substr(start, dot == std::string::npos ? dot : dot - start);
    if (label.empty()) return Error::invalidArgument("empty label in domain \"" + ascii + "\"");
    if (label.size() > kMaxLabel)
      return Error::invalidArgument("label longer than 63 octets in domain \"" + ascii + "\"");
    for (unsigned char c : label)
      if (!std::isalnum(c) && c != '-')
        return Error::invalidArgument("invalid character '" + std::string(1, char(c)) +
                                      "' in domain \"" + ascii + "\"");
    if (label.front() == '-' || label.back() == '-')
      return Error::invalidArgument("label starts or ends with '-' in domain \"" + ascii + "\"");
    lastLabel = label;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (lastLabel.find_first_not_of("0123456789") == std::string::npos)
    return Error::invalidArgument("domain \"" + ascii +
                                  "\" looks like an IP address; write it as [" + ascii + "]");
  return ascii;
}

Result<Mailbox> parseEnvelopeAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>')
    text = text.substr(1, text.size() - 2);
  if (!isValidUtf8(text)) return Error::invalidArgument("not valid UTF-8");
  size_t pos = 0;
  std::string local;
  if (!text.empty() && text[0] == '"') {
    // RFC 5321 Quoted-string: qtextSMTP is %d32-33 / %d35-91 / %d93-126 (RFC 6531 adds UTF-8),
    // quoted-pairSMTP is "\" %d32-126.
    for (pos = 1; pos < text.size() && text[pos] != '"'; ++pos) {
      unsigned char c = text[pos];
      if (c == '\\') {
        if (pos + 1 >= text.size()) break;
        unsigned char e = text[++pos];
        if (e < 32 || e > 126) return Error::invalidArgument("invalid quoted-pair in local part");
        local += char(e);
      } else if (c < 32 || c == 127) {
        return Error::invalidArgument("control character in local part");
      } else {
        local += char(c);
      }
    }
    if (pos >= text.size()) return Error::invalidArgument("unterminated quoted local part");
    ++pos;
  } else {
    size_t at = text.rfind('@');
    if (at == std::string_view::npos) return Error::invalidArgument("missing '@'");
    local = std::string(text.substr(0, at));
    if (local.empty()) return Error::invalidArgument("empty local part");
    if (!isDotString(local)) return Error::invalidArgument("invalid local part \"" + local + "\"");
    pos = at;
  }
  if (pos >= text.size() || text[pos] != '@') return Error::invalidArgument("missing '@'");
  if (auto r = checkLocalPart(local); !r.ok()) return r.error();
  auto d = normalizeDomain(text.substr(pos + 1));
  if (!d.ok()) return d.error();
  return Mailbox{"", std::move(local), std::move(*d)};
}

Result<std::vector<AddressEntry>> parseAddressList(std::string_view text) {
  if (!isValidUtf8(text)) return Error::invalidArgument("not valid UTF-8");
  Reader r(text);
  std::vector<AddressEntry> out;
  while (true) {
    if (auto s = r.skipCfws(); !s.ok()) return s.error();
    if (r.atEnd()) break;
    if (r.consume(',')) continue;  // obs-addr-list: empty elements
    auto ws = r.words();
    if (!ws.ok()) return ws.error();
    if (r.consume(':')) {
      // group = display-name ":" [group-list] ";" [CFWS]
      if (ws->empty()) return r.err("group without a name");
      AddressEntry g{true, Reader::phraseText(*ws), {}};
      while (true) {
        if (auto s = r.skipCfws(); !s.ok()) return s.error();
        if (r.consume(';')) break;
        if (r.consume(',')) continue;
        if (r.atEnd()) return r.err("group not closed with ';'");
        auto m = r.mailbox();
        if (!m.ok()) return m.error();
        g.mailboxes.push_back(std::move(*m));
        if (r.peek() != ',' && r.peek() != ';')
          return r.err(r.atEnd() ? "group not closed with ';'" : r.unexpected());
      }
      out.push_back(std::move(g));
    } else {
      auto m = r.mailboxAfterWords(*ws);
      if (!m.ok()) return m.error();
      out.push_back({false, "", {std::move(*m)}});
    }
    if (auto s = r.skipCfws(); !s.ok()) return s.error();
    if (r.atEnd()) break;
    if (!r.consume(',')) return r.err(r.unexpected() + " (addresses are separated by ',')");
  }
  if (out.empty()) return Error::invalidArgument("no address");
  return out;
}

Result<Mailbox> parseMailbox(std::string_view text) {
  if (!isValidUtf8(text)) return Error::invalidArgument("not valid UTF-8");
  Reader r(text);
  auto m = r.mailbox();
  if (!m.ok()) return m;
  if (!r.atEnd()) {
    if (r.peek() == ',') return r.err("exactly one address expected");
    return r.err(r.unexpected());
  }
  return m;
}

std::string renderMailbox(const Mailbox& m, bool encode, size_t used) {
  if (m.displayName.empty()) return m.address();
  std::string phrase = renderPhrase(m.displayName, encode, used);
  return phrase + " <" + m.address() + ">";
}

std::string renderAddressList(const std::vector<AddressEntry>& list, bool encode, size_t used) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& e = list[i];
    std::string sep = i == 0 ? "" : ", ";
    size_t line = out.find('\n') == std::string::npos ? used + out.size() : lastLineLength(out);
    if (!e.isGroup) {
      appendFolded(out, used, sep, renderMailbox(e.mailboxes[0], encode, line + sep.size()));
      continue;
    }
    std::string group = renderPhrase(e.groupName, encode, line + sep.size()) + ":";
    appendFolded(out, used, sep, group);
    for (size_t k = 0; k < e.mailboxes.size(); ++k) {
      size_t l = lastLineLength(out) + (out.find('\n') == std::string::npos ? used : 0);
      appendFolded(out, used, k == 0 ? " " : ", ", renderMailbox(e.mailboxes[k], encode, l + 2));
    }
    out += ";";
  }
  return out;
}

std::vector<Mailbox> mailboxesOf(const std::vector<AddressEntry>& list) {
  std::vector<Mailbox> out;
  for (const auto& e : list) out.insert(out.end(), e.mailboxes.begin(), e.mailboxes.end());
  return out;
}

}  // namespace mailroom::compose
