// Straightforward readings of RFC 6376 §3.4 (line by line, strings everywhere) to check the
// optimized canonicalizers in lib/auth/dkim/canon.cc against. Input is the wire form: only CRLF
// ends a line; a lone CR or LF is line content.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::dkim::testutil {

inline std::vector<std::string> splitCrlfLines(std::string_view body) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = body.size();
    lines.emplace_back(body.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return lines;
}

// §3.4.4: WSP runs in a line become one SP, WSP at line ends goes, trailing empty lines go,
// every line ends with CRLF (an empty body stays empty).
inline std::string relaxedBodyModel(std::string_view body) {
  std::vector<std::string> lines;
  for (const auto& raw : splitCrlfLines(body)) {
    std::string line;
    bool ws = false;
    for (char c : raw) {
      if (c == ' ' || c == '\t') {
        ws = true;
        continue;
      }
      if (ws) line += ' ';
      ws = false;
      line += c;
    }
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& l : lines) out += l + "\r\n";
  return out;
}

// §3.4.3: trailing empty lines go, every line ends with CRLF, an empty body is one CRLF.
inline std::string simpleBodyModel(std::string_view body) {
  auto lines = splitCrlfLines(body);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& l : lines) out += l + "\r\n";
  return out.empty() ? "\r\n" : out;
}

// §3.4.2: name lower-cased without WSP before the colon; value unfolded (CR and LF dropped),
// WSP runs one SP, none at either end; then CRLF.
inline std::string relaxedHeaderModel(std::string_view field) {
  size_t colon = field.find(':');
  std::string name(field.substr(0, colon));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  std::string value;
  if (colon != std::string_view::npos) {
    for (char c : field.substr(colon + 1))
      if (c != '\r' && c != '\n') value += c;
  }
  std::string collapsed;
  bool ws = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      ws = true;
      continue;
    }
    if (ws && !collapsed.empty()) collapsed += ' ';
    ws = false;
    collapsed += c;
  }
  return name + ":" + collapsed + "\r\n";
}

}  // namespace mailroom::dkim::testutil
