// The Public Suffix List (https://publicsuffix.org/list/) and the Organizational Domain of
// RFC 7489 §3.2: the public suffix of a name plus one label. The list is parsed once into a
// PublicSuffixList and passed around; orgDomain() is a pure function over it.
//
// Names are compared as ASCII lower case. The list's internationalized rules are in UTF-8 while
// DNS names arrive as A-labels ("xn--..."), so those rules only match names given in UTF-8;
// ASCII suffixes (all of DMARC's common cases) are unaffected.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "lib/common/result.h"

namespace mailroom::dmarc {

inline constexpr const char* kDebianPublicSuffixList =
    "/usr/share/publicsuffix/public_suffix_list.dat";

struct PublicSuffixList {
  std::set<std::string, std::less<>> rules;       // "com", "co.uk"
  std::set<std::string, std::less<>> wildcards;   // "*.ck" stored as "ck"
  std::set<std::string, std::less<>> exceptions;  // "!www.ck" stored as "www.ck"
  size_t size() const { return rules.size() + wildcards.size() + exceptions.size(); }
};

// Parses the list's text format (one rule per line, "//" comments, rule ends at whitespace).
PublicSuffixList parsePublicSuffixList(std::string_view text);
// Reads and parses a list file; kNotFound if it cannot be read, kInvalidArgument if it is empty.
Result<PublicSuffixList> loadPublicSuffixList(const std::string& path = kDebianPublicSuffixList);

// The public suffix of domain under the list's algorithm (exceptions win, then the rule with
// the most labels, with "*" as the default rule).
std::string publicSuffix(std::string_view domain, const PublicSuffixList& list);
// Public suffix plus one label; the name itself when it is a public suffix (or has one label).
std::string orgDomain(std::string_view domain, const PublicSuffixList& list);

}  // namespace mailroom::dmarc
