#include "lib/sidecarconfig/destination.h"

#include <cctype>
#include <cstdint>
#include <string>

#include "lib/dns/resolver.h"

namespace mailroom::sidecarconfig {

bool isDestinationPattern(std::string_view s) {
  if (s == "*") return true;
  if (s.starts_with("*.")) s.remove_prefix(2);
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

std::optional<size_t> matchRank(std::string_view rawPattern, std::string_view rawDomain) {
  const std::string pattern = dns::normalizeName(rawPattern),
                    domain = dns::normalizeName(rawDomain);
  if (pattern == "*") return 1;
  if (pattern.starts_with("*.")) {
    std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.org"
    if (domain.size() > suffix.size() && domain.ends_with(suffix)) return 1 + suffix.size();
    return std::nullopt;
  }
  if (!domain.empty() && pattern == domain) return SIZE_MAX;
  return std::nullopt;
}

std::optional<size_t> bestMatch(const std::vector<std::string_view>& patterns,
                                std::string_view domain) {
  std::optional<size_t> best, bestRank;
  for (size_t i = 0; i < patterns.size(); ++i) {
    auto rank = matchRank(patterns[i], domain);
    if (rank && (!bestRank || *rank > *bestRank)) {
      best = i;
      bestRank = rank;
    }
  }
  return best;
}

}  // namespace mailroom::sidecarconfig
