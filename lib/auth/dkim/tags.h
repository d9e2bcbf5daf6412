// The tag=value list syntax of RFC 6376 §3.2, shared by DKIM-Signature fields (§3.5) and key
// records (§3.6.1). Values keep their internal whitespace (callers that need base64 strip it);
// each tag remembers where its value sits in the input, because the verifier must blank the
// b= value of the very bytes it hashes (§3.7).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dkim {

struct Tag {
  std::string name;
  std::string value;      // FWS at both ends removed, CRLFs of folding removed
  size_t valueBegin = 0;  // [valueBegin, valueEnd) of the raw value in the parsed text,
  size_t valueEnd = 0;    // including the surrounding whitespace (§3.5 "b=" removal)
};

// Errors name the offending tag ("tag 'x': ...") or position; duplicate tags are errors
// (§3.2: "Tags with duplicate names MUST NOT occur within a single tag-list").
Result<std::vector<Tag>> parseTagList(std::string_view text);

// "a=b; c=d" (no folding); values must already be valid tag values.
std::string renderTagList(const std::vector<std::pair<std::string, std::string>>& tags);

// The value of a tag with all whitespace removed (for base64 and h= style values).
std::string stripWhitespace(std::string_view s);

const Tag* findTag(const std::vector<Tag>& tags, std::string_view name);

}  // namespace mailroom::dkim
