#include "operator/dns/txt_presentation.h"

namespace mailroom::dnspub {

namespace {

void escapeInto(std::string& out, unsigned char c) {
  if (c == '"' || c == '\\') {
    out += '\\';
    out += static_cast<char>(c);
  } else if (c < 0x20 || c >= 0x7f) {
    out += '\\';
    out += static_cast<char>('0' + c / 100);
    out += static_cast<char>('0' + c / 10 % 10);
    out += static_cast<char>('0' + c % 10);
  } else {
    out += static_cast<char>(c);
  }
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads one character-string at content[i...]; advances i past it.
Result<std::string> readString(std::string_view content, size_t& i) {
  bool quoted = content[i] == '"';
  if (quoted) ++i;
  std::string out;
  while (true) {
    if (i == content.size()) {
      if (quoted) return Error::invalidArgument("unterminated quoted string");
      break;
    }
    char c = content[i];
    if (quoted && c == '"') {
      ++i;
      break;
    }
    if (!quoted && (c == ' ' || c == '\t' || c == '"')) break;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 == content.size()) return Error::invalidArgument("escape at the end");
    if (isDigit(content[i + 1])) {
      if (i + 3 >= content.size() || !isDigit(content[i + 2]) || !isDigit(content[i + 3]))
        return Error::invalidArgument("\\DDD escape needs three digits");
      int v = (content[i + 1] - '0') * 100 + (content[i + 2] - '0') * 10 + (content[i + 3] - '0');
      if (v > 255) return Error::invalidArgument("\\DDD escape over 255");
      out += static_cast<char>(v);
      i += 4;
    } else {
      out += content[i + 1];
      i += 2;
    }
  }
  if (out.size() > kMaxCharacterString)
    return Error::invalidArgument("character-string over 255 octets");
  return out;
}

}  // namespace

std::string renderTxtContent(std::string_view logical) {
  std::string out;
  size_t pos = 0;
  do {
    auto chunk = logical.substr(pos, kMaxCharacterString);
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : chunk) escapeInto(out, static_cast<unsigned char>(c));
    out += '"';
    pos += kMaxCharacterString;
  } while (pos < logical.size());
  return out;
}

Result<std::string> parseTxtContent(std::string_view content) {
  std::string out;
  size_t i = 0;
  bool any = false;
  while (true) {
    while (i < content.size() && (content[i] == ' ' || content[i] == '\t')) ++i;
    if (i == content.size()) break;
    auto s = readString(content, i);
    if (!s) return s.error();
    out += *s;
    any = true;
  }
  if (!any) return Error::invalidArgument("no character-string");
  return out;
}

}  // namespace mailroom::dnspub
