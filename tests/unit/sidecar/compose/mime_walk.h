// Test helper: walks a composed message with lib/mime (an independent header parser) and
// splits multipart bodies on their boundary, so tests check structure, not strings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/mime/message.h"

namespace mailroom::compose::testing {

struct Entity {
  mime::Message msg;
  std::string contentType;  // lower-case type/subtype
  std::vector<Entity> children;
  std::string header(std::string_view name) const {
    const auto* h = msg.find(name);
    return h ? h->value() : "";
  }
};

inline std::string lowerCopy(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline std::optional<std::string> param(const std::string& value, const std::string& name) {
  std::string low = lowerCopy(value);
  size_t p = low.find(name + "=");
  if (p == std::string::npos) return std::nullopt;
  std::string v = value.substr(p + name.size() + 1);
  if (!v.empty() && v[0] == '"') return v.substr(1, v.find('"', 1) - 1);
  return v.substr(0, v.find_first_of("; "));
}

inline std::optional<Entity> walk(std::string_view raw) {
  auto m = mime::parseMessage(raw);
  if (!m.ok()) return std::nullopt;
  Entity e{std::move(*m), "", {}};
  std::string ct = e.header("Content-Type");
  e.contentType = lowerCopy(ct.substr(0, ct.find(';')));
  if (e.contentType.empty()) e.contentType = "text/plain";
  if (e.contentType.rfind("multipart/", 0) != 0) return e;
  auto b = param(ct, "boundary");
  if (!b) return std::nullopt;
  std::string delim = "--" + *b;
  const std::string& body = e.msg.body;
  size_t pos = body.find(delim);
  if (pos != 0) return std::nullopt;  // no preamble is written
  while (true) {
    size_t start = pos + delim.size();
    if (body.compare(start, 2, "--") == 0) break;
    if (body.compare(start, 2, "\r\n") != 0) return std::nullopt;
    start += 2;
    size_t next = body.find("\r\n" + delim, start);
    if (next == std::string::npos) return std::nullopt;
    auto child = walk(std::string_view(body).substr(start, next - start));
    if (!child) return std::nullopt;
    e.children.push_back(std::move(*child));
    pos = next + 2;
  }
  return e;
}

}  // namespace mailroom::compose::testing
