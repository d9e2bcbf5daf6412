#include "sidecar/delivery/smtp/capabilities.h"

#include <charconv>
#include <string_view>

namespace mailroom::smtp {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Capabilities parseEhlo(const Reply& reply) {
  Capabilities caps;
  if (reply.code < 200 || reply.code >= 300 || reply.lines.empty()) return caps;
  caps.esmtp = true;
  if (auto first = words(reply.lines[0]); !first.empty()) caps.serverName = first[0];
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    std::string keyword = upper(w[0]);
    // Old servers write "AUTH=LOGIN PLAIN" (before RFC 4954 was final); read it the same way.
    // Servers that send both forms list the same mechanisms twice; each is kept once.
    if (keyword.rfind("AUTH=", 0) == 0) {
      w[0].remove_prefix(5);
      keyword = "AUTH";
      if (w[0].empty()) w.erase(w.begin());
    } else if (keyword == "AUTH") {
      w.erase(w.begin());
    }
    if (keyword == "STARTTLS")
      caps.starttls = true;
    else if (keyword == "PIPELINING")
      caps.pipelining = true;
    else if (keyword == "8BITMIME")
      caps.eightBitMime = true;
    else if (keyword == "SMTPUTF8")
      caps.smtpUtf8 = true;
    else if (keyword == "ENHANCEDSTATUSCODES")
      caps.enhancedStatusCodes = true;
    else if (keyword == "CHUNKING")
      caps.chunking = true;
    else if (keyword == "DSN")
      caps.dsn = true;
    else if (keyword == "SIZE") {
      uint64_t limit = 0;
      // RFC 1870 §4: "SIZE" alone or "SIZE 0" means no fixed maximum.
      if (w.size() >= 2) {
        auto [p, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), limit);
        if (ec != std::errc() || p != w[1].data() + w[1].size()) limit = 0;
      }
      caps.size = limit ? std::optional<uint64_t>(limit) : std::nullopt;
    } else if (keyword == "AUTH") {
      for (auto word : w) {
        std::string mech = upper(word);
        bool seen = false;
        for (const auto& m : caps.auth) seen = seen || m == mech;
        if (!seen) caps.auth.push_back(std::move(mech));
      }
    }
  }
  return caps;
}

}  // namespace mailroom::smtp
