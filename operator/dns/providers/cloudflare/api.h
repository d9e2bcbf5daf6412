// The Cloudflare API v4 documents Mailroom reads (developers.cloudflare.com/api: "Zones",
// "DNS Records for a Zone"): every answer is the envelope {"success", "errors": [{"code",
// "message"}], "messages", "result", "result_info": {"page", "per_page", "total_pages", ...}};
// a list of zones or of DNS records is its result. Parsing never throws: an answer that is not
// the envelope is an error value (fuzzed: tests/fuzz/dns_providers). Also the request bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::cloudflare {

struct CfError {
  int code = 0;
  std::string message;
  bool operator==(const CfError&) const = default;
};

struct CfRecord {
  std::string id, type, name, content;  // name without the trailing dot; TXT content quoted
  uint32_t ttl = 1;                     // 1 = automatic
  bool operator==(const CfRecord&) const = default;
};

struct CfZone {
  std::string id, name;
};

struct Envelope {
  bool success = false;
  std::vector<CfError> errors;
  int page = 1, totalPages = 1;  // result_info, when present
};

// The envelope of any answer; kInvalidArgument if body is not one.
Result<Envelope> parseEnvelope(std::string_view body);
// A page of GET .../dns_records.
Result<std::vector<CfRecord>> parseRecords(std::string_view body);
// GET /zones?name=.
Result<std::vector<CfZone>> parseZones(std::string_view body);

// "code 81058: An identical record already exists.; ..." for messages.
std::string describeErrors(const std::vector<CfError>& errors);

// {"type":"TXT","name":..,"content":..,"ttl":..} and {"content":..}.
std::string renderCreate(const std::string& name, const std::string& content, uint32_t ttl);
std::string renderContentPatch(const std::string& content);

}  // namespace mailroom::dnspub::cloudflare
