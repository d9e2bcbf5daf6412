// The Route 53 REST/XML API (version 2013-04-01) documents Mailroom reads and writes, as pure
// functions: ListResourceRecordSets pages, ListHostedZonesByName, the ChangeResourceRecordSets
// request body, and the error bodies (ErrorResponse, InvalidChangeBatch). Also the batching of
// changes within Route 53's limits for one ChangeResourceRecordSets request: at most 1000
// ResourceRecord elements and 32000 characters of Value, counting both halves of a
// DELETE+CREATE pair (and UPSERT twice), with every pair kept in one batch (one batch is atomic).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::route53 {

inline constexpr size_t kMaxRecordsPerBatch = 1000;
inline constexpr size_t kMaxValueCharsPerBatch = 32000;

struct R53RRset {
  std::string name;  // as Route 53 spells it: absolute, trailing dot, \ooo escapes
  std::string type;
  uint32_t ttl = 0;
  std::vector<std::string> values;  // presentation form (TXT: quoted strings)
  bool operator==(const R53RRset&) const = default;
};

struct ListPage {
  std::vector<R53RRset> rrsets;  // simple routing only; weighted/alias sets are skipped
  bool truncated = false;
  std::string nextName, nextType, nextIdentifier;
};

Result<ListPage> parseListResourceRecordSets(std::string_view body);

// The Id ("Z0123...", without "/hostedzone/") of the hosted zone named zone ("example.com"),
// from a ListHostedZonesByName answer; kNotFound when it is not there.
Result<std::string> parseHostedZoneId(std::string_view body, std::string_view zone);

struct AwsError {
  std::string code;  // "Throttling", "InvalidChangeBatch", "NoSuchHostedZone", ...
  std::string message;
};
// {"", ""} for a body that is not one of Route 53's error documents.
AwsError parseError(std::string_view body);

// Route 53's spelling of a name to ours: \ooo escapes undone, lower case, no trailing dot.
std::string normalizeRoute53Name(std::string_view name);

struct R53Change {
  std::string action;  // CREATE, DELETE, UPSERT
  R53RRset rrset;
  bool operator==(const R53Change&) const = default;
};

// <ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">...
std::string renderChangeBatch(const std::vector<R53Change>& changes, std::string_view comment);

struct Batch {
  std::vector<R53Change> changes;
  int groups = 0;  // how many of the groups it holds
};

// Atomic groups of changes into batches within the limits, in order. A group that alone
// exceeds them is kInvalidArgument.
Result<std::vector<Batch>> batchChanges(const std::vector<std::vector<R53Change>>& groups);

}  // namespace mailroom::dnspub::route53
