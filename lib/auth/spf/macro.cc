#include "lib/auth/spf/macro.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace mailroom::spf {
namespace {

bool isDelimiter(char c) {
  return std::string_view(".-+,/_=").find(c) != std::string_view::npos;
}

bool isMacroLetter(char c, MacroMode mode) {
  char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (std::string_view("slodiphv").find(l) != std::string_view::npos) return true;
  return mode == MacroMode::kExplanation &&
         std::string_view("crt").find(l) != std::string_view::npos;
}

Error syntax(std::string_view s, std::string what) {
  return Error::invalidArgument("macro-string \"" + std::string(s) + "\": " + std::move(what));
}

bool isAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool isAlpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool isTopLabel(std::string_view l) {
  if (l.empty() || !isAlnum(l.front()) || !isAlnum(l.back())) return false;
  bool alpha = false, hyphen = false;
  for (char c : l) {
    if (c == '-') {
      hyphen = true;
    } else if (!isAlnum(c)) {
      return false;
    } else if (isAlpha(c)) {
      alpha = true;
    }
  }
  return alpha || hyphen;
}

}  // namespace

Result<std::vector<MacroToken>> parseMacroString(std::string_view s, MacroMode mode) {
  std::vector<MacroToken> out;
  auto literal = [&](std::string_view text) {
    if (!out.empty()) {
      if (auto* lit = std::get_if<MacroLiteral>(&out.back())) {
        lit->text += text;
        return;
      }
    }
    out.push_back(MacroLiteral{std::string(text)});
  };
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c != '%') {
      // macro-literal = %x21-24 / %x26-7E; explain-string also allows SP.
      bool ok = (c >= 0x21 && c <= 0x7e) || (c == ' ' && mode == MacroMode::kExplanation);
      if (!ok) return syntax(s, "invalid character at offset " + std::to_string(i));
      literal(s.substr(i, 1));
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return syntax(s, "'%' at the end");
    char n = s[i + 1];
    if (n == '%') {
      literal("%");
      i += 2;
      continue;
    }
    if (n == '_') {
      literal(" ");
      i += 2;
      continue;
    }
    if (n == '-') {
      literal("%20");
      i += 2;
      continue;
    }
    if (n != '{') return syntax(s, std::string("'%") + n + "' is not a macro");
    size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos) return syntax(s, "unterminated '%{'");
    std::string_view body = s.substr(i + 2, close - i - 2);
    if (body.empty() || !isMacroLetter(body[0], mode)) {
      return syntax(s, "unknown macro letter in %{" + std::string(body) + "}");
    }
    MacroExpand m;
    m.letter = static_cast<char>(std::tolower(static_cast<unsigned char>(body[0])));
    m.urlEscape = std::isupper(static_cast<unsigned char>(body[0])) != 0;
    size_t j = 1;
    bool anyDigit = false;
    int64_t digits = 0;
    while (j < body.size() && std::isdigit(static_cast<unsigned char>(body[j]))) {
      anyDigit = true;
      digits = std::min<int64_t>(digits * 10 + (body[j] - '0'), 1000);  // more parts than any name
      ++j;
    }
    if (anyDigit && digits == 0) return syntax(s, "digit transformer must be nonzero (§7.1)");
    m.digits = static_cast<int>(digits);
    if (j < body.size() && (body[j] == 'r' || body[j] == 'R')) {
      m.reverse = true;
      ++j;
    }
    for (; j < body.size(); ++j) {
      if (!isDelimiter(body[j])) {
        return syntax(s, "bad transformer or delimiter in %{" + std::string(body) + "}");
      }
      m.delimiters += body[j];
    }
    out.push_back(m);
    i = close + 1;
  }
  return out;
}

Result<void> validateDomainSpec(std::string_view s) {
  auto tokens = parseMacroString(s, MacroMode::kDomainSpec);
  if (!tokens) return tokens.error();
  if (tokens->empty()) return Error::invalidArgument("empty domain-spec");
  // domain-end = ( "." toplabel [ "." ] ) / macro-expand. "%%", "%_" and "%-" are macro-expands
  // in the ABNF, so a spec ending in one of them is fine; check the raw tail for that.
  if (std::holds_alternative<MacroExpand>(tokens->back())) return {};
  if (s.size() >= 2 && s[s.size() - 2] == '%') {
    // Ends with "%%", "%_" or "%-" unless that '%' is itself the second half of "%%".
    size_t run = 0;
    for (size_t k = s.size() - 1; k-- > 0 && s[k] == '%';) ++run;
    if (run % 2 == 1) return {};
  }
  std::string_view tail = s;
  if (auto close = tail.rfind('}'); close != std::string_view::npos) tail = tail.substr(close + 1);
  if (!tail.empty() && tail.back() == '.') tail.remove_suffix(1);
  auto dot = tail.rfind('.');
  if (dot == std::string_view::npos) {
    return Error::invalidArgument("domain-spec \"" + std::string(s) +
                                  "\" does not end in '.' toplabel or a macro");
  }
  if (!isTopLabel(tail.substr(dot + 1))) {
    return Error::invalidArgument("domain-spec \"" + std::string(s) + "\": bad top label \"" +
                                  std::string(tail.substr(dot + 1)) + "\"");
  }
  return {};
}

bool usesMacro(std::string_view s, char letter) {
  auto tokens = parseMacroString(s, MacroMode::kExplanation);
  if (!tokens) return false;
  char l = static_cast<char>(std::tolower(static_cast<unsigned char>(letter)));
  return std::any_of(tokens->begin(), tokens->end(), [&](const MacroToken& t) {
    auto* m = std::get_if<MacroExpand>(&t);
    return m != nullptr && m->letter == l;
  });
}

std::string transformMacroValue(std::string_view value, const MacroExpand& m) {
  std::string_view delims = m.delimiters.empty() ? std::string_view(".") : m.delimiters;
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i == value.size() || delims.find(value[i]) != std::string_view::npos) {
      parts.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  if (m.reverse) std::reverse(parts.begin(), parts.end());
  size_t first = 0;
  if (m.digits > 0 && static_cast<size_t>(m.digits) < parts.size()) {
    first = parts.size() - static_cast<size_t>(m.digits);
  }
  std::string out;
  for (size_t i = first; i < parts.size(); ++i) {
    if (i > first) out += '.';
    out += parts[i];
  }
  return out;
}

std::string urlEscape(std::string_view value) {
  // RFC 3986 unreserved characters stay; everything else becomes %XX (§7.3).
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

std::string ipMacroValue(const dns::Address& ip) {
  if (ip.is_v4()) return ip.to_string();
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : ip.to_v6().to_bytes()) {
    if (!out.empty()) out += '.';
    out += kHex[b >> 4];
    out += '.';
    out += kHex[b & 0xf];
  }
  return out;
}

Result<std::string> expandMacros(std::string_view s, const MacroContext& ctx, MacroMode mode) {
  auto tokens = parseMacroString(s, mode);
  if (!tokens) return tokens.error();
  std::string out;
  for (const auto& t : *tokens) {
    if (auto* lit = std::get_if<MacroLiteral>(&t)) {
      out += lit->text;
      continue;
    }
    const auto& m = std::get<MacroExpand>(t);
    std::string value;
    auto at = ctx.sender.rfind('@');
    switch (m.letter) {
      case 's':
        value = ctx.sender;
        break;
      case 'l':
        value = at == std::string::npos ? std::string() : ctx.sender.substr(0, at);
        if (value.empty()) value = "postmaster";
        break;
      case 'o':
        value = at == std::string::npos ? ctx.sender : ctx.sender.substr(at + 1);
        break;
      case 'd':
        value = ctx.domain;
        break;
      case 'i':
        value = ipMacroValue(ctx.ip);
        break;
      case 'p':
        value = ctx.validatedName.empty() ? "unknown" : ctx.validatedName;
        break;
      case 'v':
        value = ctx.ip.is_v4() ? "in-addr" : "ip6";
        break;
      case 'h':
        value = ctx.helo;
        break;
      case 'c':
        value = ctx.ip.to_string();
        break;
      case 'r':
        value = ctx.receiver.empty() ? "unknown" : ctx.receiver;
        break;
      case 't':
        value = std::to_string(ctx.timestamp);
        break;
      default:
        return syntax(s, std::string("unknown macro letter ") + m.letter);
    }
    value = transformMacroValue(value, m);
    out += m.urlEscape ? urlEscape(value) : value;
  }
  if (mode == MacroMode::kDomainSpec) {
    // §7.3: over 253 characters, drop labels from the left until it fits.
    while (out.size() > 253) {
      auto dot = out.find('.');
      if (dot == std::string::npos) {
        out.erase(0, out.size() - 253);
        break;
      }
      out.erase(0, dot + 1);
    }
  }
  return out;
}

}  // namespace mailroom::spf
