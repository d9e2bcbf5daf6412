#include "lib/auth/dkim/canon.h"

namespace mailroom::dkim {
namespace {

bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

std::string simpleBody(std::string_view body) {
  std::string out(body);
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  while (out.size() >= 4 && out.ends_with("\r\n\r\n")) out.resize(out.size() - 2);
  if (out.empty() || out == "\r\n") return "\r\n";
  return out;
}

std::string relaxedBody(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  size_t pendingEmpty = 0;  // empty lines seen but not yet known to be followed by text
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    size_t next = eol == std::string_view::npos ? body.size() : eol + 2;
    if (eol == std::string_view::npos) eol = body.size();
    std::string_view line = body.substr(pos, eol - pos);
    pos = next;
    // Reduce WSP runs to one SP, drop WSP at the end of the line; empty lines are held back
    // until text follows them, so trailing empty lines are never emitted.
    bool started = false;
    bool inWsp = false;
    for (char c : line) {
      if (isWsp(c)) {
        inWsp = true;
        continue;
      }
      if (!started) {
        for (; pendingEmpty; --pendingEmpty) out += "\r\n";
        started = true;
      }
      if (inWsp) out += ' ';
      inWsp = false;
      out += c;
    }
    if (!started) {
      ++pendingEmpty;
      continue;
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace

std::string canonicalizeHeader(Canon canon, std::string_view rawField) {
  if (canon == Canon::kSimple) {
    std::string out(rawField);
    out += "\r\n";
    return out;
  }
  size_t colon = rawField.find(':');
  std::string_view name = rawField.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : rawField.substr(colon + 1);
  std::string out;
  out.reserve(rawField.size() + 2);
  // Field name: lower case, WSP before the colon removed (§3.4.2).
  size_t nameEnd = name.find_last_not_of(" \t");
  name = nameEnd == std::string_view::npos ? std::string_view() : name.substr(0, nameEnd + 1);
  for (char c : name) out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  out += ':';
  // Value: unfold (drop CR/LF), WSP runs -> one SP, no WSP at either end.
  bool pendingSpace = false;
  bool any = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;
    if (isWsp(c)) {
      pendingSpace = any;
      continue;
    }
    if (pendingSpace) out += ' ';
    pendingSpace = false;
    any = true;
    out += c;
  }
  out += "\r\n";
  return out;
}

std::string canonicalizeBody(Canon canon, std::string_view body) {
  return canon == Canon::kSimple ? simpleBody(body) : relaxedBody(body);
}

}  // namespace mailroom::dkim
