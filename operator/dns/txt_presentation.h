// TXT RDATA in zone-file presentation form (RFC 1035 §5.1, §3.3.14), the form PowerDNS's HTTP
// API and most provider APIs take: one or more <character-string>s, each quoted, at most 255
// octets, with '"' and '\' escaped as \" and \\ and other non-printable octets as \DDD. A logical
// TXT value (endpoint.h) is the concatenation of its strings (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
#pragma once

#include <string>
#include <string_view>

#include "lib/common/result.h"

namespace mailroom::dnspub {

inline constexpr size_t kMaxCharacterString = 255;

// "\"part1\" \"part2\"": split into strings of at most 255 octets, each escaped. An empty value
// is one empty string ("\"\"").
std::string renderTxtContent(std::string_view logical);

// The logical value of presentation-form content: quoted or unquoted character-strings
// separated by spaces, concatenated. kInvalidArgument for an unterminated quote, a bad escape or
// a string over 255 octets.
Result<std::string> parseTxtContent(std::string_view content);

}  // namespace mailroom::dnspub
