#include "lib/mime/message.h"

#include <cctype>
#include <cstring>

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
  // Copies spans between line breaks in bulk (memchr) rather than byte by byte: DKIM signing
  // runs this over every message body.
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  const char* p = text.data();
  const char* end = p + text.size();
  const char* lf = p - 1;  // the next LF at or after p, or nullptr; found lazily so that
                           // runs of bare CRs do not rescan the rest of the text (linear time)
  while (p < end) {
    auto remaining = static_cast<size_t>(end - p);
    if (lf && lf < p) lf = static_cast<const char*>(std::memchr(p, '\n', remaining));
    const char* limit = lf ? lf : end;
    const char* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(limit - p)));
    const char* stop = cr ? cr : lf;
    if (!stop) {
      out.append(p, remaining);
      break;
    }
    out.append(p, static_cast<size_t>(stop - p));
    out += "\r\n";
    p = stop + 1;
    if (*stop == '\r' && p < end && *p == '\n') ++p;
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
