// Destination patterns and the one rule that matches them, shared by routes and
// per-destination limits (and the operator, which renders both): "example.net" matches that
// domain only, "*.example.org" any subdomain of example.org (not example.org itself), "*" every
// domain. A more specific pattern wins: exact > longest "*.suffix" > "*". Comparison ignores case
// and one trailing dot (DNS names are case-insensitive, RFC 4343).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace mailroom::sidecarconfig {

// "*", or a domain (letters, digits, '-', dots between non-empty labels) optionally prefixed by
// "*.". Upper case is allowed here; parsing stores patterns in lower case.
bool isDestinationPattern(std::string_view pattern);

// How specifically `pattern` matches `domain`; higher is more specific, std::nullopt is no match.
// Equal ranks for two matching patterns mean the patterns are equal (ignoring case).
std::optional<size_t> matchRank(std::string_view pattern, std::string_view domain);

// The index of the most specific pattern matching `domain` (the first of equal ones), or
// std::nullopt when none matches.
std::optional<size_t> bestMatch(const std::vector<std::string_view>& patterns,
                                std::string_view domain);

}  // namespace mailroom::sidecarconfig
