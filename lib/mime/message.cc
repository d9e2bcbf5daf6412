#include "lib/mime/message.h"

#include <cctype>

namespace mailroom::mime {
namespace {

bool isFieldNameChar(unsigned char c) {
  return c >= 33 && c <= 126 && c != ':';
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string normalizeCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string HeaderField::value() const {
  std::string_view v(raw);
  v.remove_prefix(std::min(v.size(), name.size() + 1));
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n') continue;  // unfolding keeps the WSP that follows
    out += v[i];
  }
  size_t b = out.find_first_not_of(" \t");
  size_t e = out.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

const HeaderField* Message::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::vector<const HeaderField*> Message::findAll(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(&h);
  return out;
}

Result<Message> parseMessage(std::string_view raw) {
  std::string text = normalizeCrlf(raw);
  Message msg;
  size_t pos = 0;
  int lineNo = 0;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    ++lineNo;
    size_t next = std::min(text.size(), eol + 2);
    if (line.empty()) {
      msg.body = text.substr(next);
      return msg;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (msg.headers.empty())
        return Error::invalidArgument("header line " + std::to_string(lineNo) +
                                      ": continuation line before any header field");
      msg.headers.back().raw += "\r\n";
      msg.headers.back().raw += line;
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return Error::invalidArgument("header line " + std::to_string(lineNo) +
                                      ": not a header field (no field name and colon)");
      std::string_view name = line.substr(0, colon);
      // RFC 5322 obsolete syntax allows WSP before the colon; accept and drop it from the name.
      size_t nameEnd = name.find_last_not_of(" \t");
      name = name.substr(0, nameEnd + 1);
      for (unsigned char c : name) {
        if (!isFieldNameChar(c))
          return Error::invalidArgument("header line " + std::to_string(lineNo) +
                                        ": invalid character in field name");
      }
      msg.headers.push_back({std::string(name), std::string(line)});
    }
    pos = next;
  }
  return msg;  // headers only, no body
}

std::string render(const Message& message) {
  std::string out;
  for (const auto& h : message.headers) {
    out += h.raw;
    out += "\r\n";
  }
  out += "\r\n";
  out += message.body;
  return out;
}

}  // namespace mailroom::mime
