#include "operator/dns/providers/route53/xml.h"

#include <cctype>

namespace mailroom::dnspub::route53 {

namespace {

constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<XmlElement> document() {
    skipMisc();
    if (!at('<')) return Error::invalidArgument("no root element");
    XmlElement root;
    if (auto r = element(root, 0); !r) return r.error();
    skipMisc();
    if (pos_ != s_.size()) return Error::invalidArgument("content after the root element");
    return root;
  }

 private:
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool startsWith(std::string_view p) const { return s_.substr(pos_).substr(0, p.size()) == p; }
  void skipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // Whitespace, the XML declaration and comments.
  void skipMisc() {
    for (;;) {
      skipSpace();
      if (startsWith("<?")) {
        auto end = s_.find("?>", pos_);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else if (startsWith("<!--")) {
        auto end = s_.find("-->", pos_ + 4);
        pos_ = end == std::string_view::npos ? s_.size() : end + 3;
      } else {
        return;
      }
    }
  }
  static bool nameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':';
  }
  std::string name() {
    size_t start = pos_;
    while (pos_ < s_.size() && nameChar(s_[pos_])) ++pos_;
    std::string n(s_.substr(start, pos_ - start));
    auto colon = n.rfind(':');
    return colon == std::string::npos ? n : n.substr(colon + 1);
  }
  Result<void> attributes() {
    for (;;) {
      skipSpace();
      if (at('>') || startsWith("/>")) return {};
      if (name().empty()) return Error::invalidArgument("bad attribute");
      skipSpace();
      if (!at('=')) return Error::invalidArgument("attribute without a value");
      ++pos_;
      skipSpace();
      if (!at('"') && !at('\'')) return Error::invalidArgument("unquoted attribute value");
      char q = s_[pos_++];
      auto end = s_.find(q, pos_);
      if (end == std::string_view::npos) return Error::invalidArgument("unterminated attribute");
      pos_ = end + 1;
    }
  }
  Result<void> reference(std::string& out) {
    auto end = s_.find(';', pos_);
    if (end == std::string_view::npos || end - pos_ > 10)
      return Error::invalidArgument("bad entity reference");
    std::string_view ref = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    if (ref == "amp") return out += '&', Result<void>();
    if (ref == "lt") return out += '<', Result<void>();
    if (ref == "gt") return out += '>', Result<void>();
    if (ref == "quot") return out += '"', Result<void>();
    if (ref == "apos") return out += '\'', Result<void>();
    if (ref.size() < 2 || ref[0] != '#') return Error::invalidArgument("unknown entity");
    bool hexForm = ref[1] == 'x';
    std::string_view digits = ref.substr(hexForm ? 2 : 1);
    if (digits.empty()) return Error::invalidArgument("bad character reference");
    unsigned long cp = 0;
    for (char c : digits) {
      if (!(hexForm ? std::isxdigit(static_cast<unsigned char>(c))
                    : std::isdigit(static_cast<unsigned char>(c))))
        return Error::invalidArgument("bad character reference");
      cp = cp * (hexForm ? 16 : 10) +
           static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(c))
                                          ? c - '0'
                                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
      if (cp > 0x10FFFF) return Error::invalidArgument("character reference out of range");
    }
    // UTF-8.
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return {};
  }
  Result<void> element(XmlElement& e, int depth) {
    if (depth > kMaxDepth) return Error::invalidArgument("XML nested too deeply");
    ++pos_;  // '<'
    e.name = name();
    if (e.name.empty()) return Error::invalidArgument("element without a name");
    if (auto a = attributes(); !a) return a;
    if (startsWith("/>")) {
      pos_ += 2;
      return {};
    }
    ++pos_;  // '>'
    for (;;) {
      if (pos_ >= s_.size()) return Error::invalidArgument("unterminated element " + e.name);
      if (startsWith("<!--")) {
        auto end = s_.find("-->", pos_ + 4);
        if (end == std::string_view::npos) return Error::invalidArgument("unterminated comment");
        pos_ = end + 3;
      } else if (startsWith("</")) {
        pos_ += 2;
        if (name() != e.name) return Error::invalidArgument("mismatched end tag in " + e.name);
        skipSpace();
        if (!at('>')) return Error::invalidArgument("bad end tag");
        ++pos_;
        return {};
      } else if (at('<')) {
        if (startsWith("<!") || startsWith("<?"))
          return Error::invalidArgument("unsupported markup");
        e.children.emplace_back();
        if (auto r = element(e.children.back(), depth + 1); !r) return r;
      } else if (at('&')) {
        if (auto r = reference(e.text); !r) return r;
      } else {
        e.text += s_[pos_++];
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view n) const {
  for (const auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::string XmlElement::childText(std::string_view n) const {
  auto* c = child(n);
  return c ? c->text : "";
}

std::vector<const XmlElement*> XmlElement::childrenNamed(std::string_view n) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

Result<XmlElement> parseXml(std::string_view doc) {
  if (doc.size() > (16u << 20)) return Error::invalidArgument("XML document over 16 MiB");
  return Parser(doc).document();
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace mailroom::dnspub::route53
