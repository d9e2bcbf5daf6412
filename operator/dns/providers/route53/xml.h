// A minimal XML reader for the Route 53 API's answers (REST/XML, API version 2013-04-01): elements,
// text with the five predefined entities and character references, the declaration and comments
// skipped. No DTDs, no processing instructions, no CDATA (Route 53 sends none); namespace
// prefixes are dropped. Enough for ListResourceRecordSetsResponse, ListHostedZonesByNameResponse,
// ChangeResourceRecordSetsResponse, ErrorResponse and InvalidChangeBatch. Never throws; depth and
// size are bounded (fuzzed: tests/fuzz/dns_providers). Also the writer's text escaping.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::route53 {

struct XmlElement {
  std::string name;  // local name
  std::string text;  // the concatenated character data directly inside
  std::vector<XmlElement> children;

  // The first child named name, or nullptr.
  const XmlElement* child(std::string_view name) const;
  // The text of the first child named name, "" if none.
  std::string childText(std::string_view name) const;
  std::vector<const XmlElement*> childrenNamed(std::string_view name) const;
};

Result<XmlElement> parseXml(std::string_view doc);

// &, <, >, " escaped for element text.
std::string xmlEscape(std::string_view text);

}  // namespace mailroom::dnspub::route53
