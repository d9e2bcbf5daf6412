#include "operator/dns/providers/route53/api.h"

#include <cctype>

#include "operator/dns/providers/route53/xml.h"

namespace mailroom::dnspub::route53 {

namespace {

Result<uint32_t> parseTtl(const std::string& s) {
  if (s.empty() || s.size() > 10) return Error::invalidArgument("bad TTL '" + s + "'");
  uint64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return Error::invalidArgument("bad TTL '" + s + "'");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return Error::invalidArgument("TTL out of range");
  return static_cast<uint32_t>(v);
}

size_t weight(const R53Change& c) {
  return c.action == "UPSERT" ? 2 : 1;
}

}  // namespace

Result<ListPage> parseListResourceRecordSets(std::string_view body) {
  auto doc = parseXml(body);
  if (!doc) return doc.error();
  if (doc->name != "ListResourceRecordSetsResponse")
    return Error::invalidArgument("not a ListResourceRecordSetsResponse");
  ListPage page;
  auto* sets = doc->child("ResourceRecordSets");
  if (!sets) return Error::invalidArgument("no ResourceRecordSets");
  for (const auto* rs : sets->childrenNamed("ResourceRecordSet")) {
    if (rs->child("AliasTarget") || rs->child("SetIdentifier")) continue;
    R53RRset r{rs->childText("Name"), rs->childText("Type"), 0, {}};
    if (r.name.empty() || r.type.empty()) return Error::invalidArgument("a record set has no name");
    auto ttl = parseTtl(rs->childText("TTL"));
    if (!ttl) return Error::invalidArgument(r.name + ": " + ttl.error().message);
    r.ttl = *ttl;
    if (auto* rrs = rs->child("ResourceRecords"))
      for (const auto* rr : rrs->childrenNamed("ResourceRecord"))
        r.values.push_back(rr->childText("Value"));
    page.rrsets.push_back(std::move(r));
  }
  std::string truncated = doc->childText("IsTruncated");
  if (truncated != "true" && truncated != "false")
    return Error::invalidArgument("IsTruncated is neither true nor false");
  page.truncated = truncated == "true";
  page.nextName = doc->childText("NextRecordName");
  page.nextType = doc->childText("NextRecordType");
  page.nextIdentifier = doc->childText("NextRecordIdentifier");
  if (page.truncated && page.nextName.empty())
    return Error::invalidArgument("a truncated page without NextRecordName");
  return page;
}

Result<std::string> parseHostedZoneId(std::string_view body, std::string_view zone) {
  auto doc = parseXml(body);
  if (!doc) return doc.error();
  auto* zones = doc->child("HostedZones");
  if (doc->name != "ListHostedZonesByNameResponse" || !zones)
    return Error::invalidArgument("not a ListHostedZonesByNameResponse");
  for (const auto* z : zones->childrenNamed("HostedZone")) {
    if (normalizeRoute53Name(z->childText("Name")) != zone) continue;
    if (auto* cfg = z->child("Config"); cfg && cfg->childText("PrivateZone") == "true") continue;
    std::string id = z->childText("Id");
    constexpr std::string_view prefix = "/hostedzone/";
    if (id.rfind(prefix, 0) == 0) id = id.substr(prefix.size());
    if (!id.empty()) return id;
  }
  return Error::notFound("no public hosted zone named " + std::string(zone));
}

AwsError parseError(std::string_view body) {
  auto doc = parseXml(body);
  if (!doc) return {};
  if (doc->name == "ErrorResponse") {
    if (auto* e = doc->child("Error")) return {e->childText("Code"), e->childText("Message")};
  }
  if (doc->name == "InvalidChangeBatch") {
    std::string message;
    if (auto* ms = doc->child("Messages"))
      for (const auto* m : ms->childrenNamed("Message"))
        message += (message.empty() ? "" : "; ") + m->text;
    if (message.empty()) message = doc->childText("Message");
    return {"InvalidChangeBatch", message};
  }
  return {};
}

std::string normalizeRoute53Name(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 3 < name.size()) {
      std::string_view d = name.substr(i + 1, 3);
      if (d.size() == 3 && d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '7' &&
          d[2] >= '0' && d[2] <= '7') {
        out += static_cast<char>((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string renderChangeBatch(const std::vector<R53Change>& changes, std::string_view comment) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
      "<ChangeBatch>";
  if (!comment.empty()) x += "<Comment>" + xmlEscape(comment) + "</Comment>";
  x += "<Changes>";
  for (const auto& c : changes) {
    x += "<Change><Action>" + c.action + "</Action><ResourceRecordSet><Name>" +
         xmlEscape(c.rrset.name) + "</Name><Type>" + c.rrset.type + "</Type><TTL>" +
         std::to_string(c.rrset.ttl) + "</TTL><ResourceRecords>";
    for (const auto& v : c.rrset.values)
      x += "<ResourceRecord><Value>" + xmlEscape(v) + "</Value></ResourceRecord>";
    x += "</ResourceRecords></ResourceRecordSet></Change>";
  }
  return x + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
}

Result<std::vector<Batch>> batchChanges(const std::vector<std::vector<R53Change>>& groups) {
  std::vector<Batch> out;
  size_t records = 0, chars = 0;
  for (const auto& g : groups) {
    size_t gRecords = 0, gChars = 0;
    for (const auto& c : g) {
      gRecords += c.rrset.values.size() * weight(c);
      for (const auto& v : c.rrset.values) gChars += v.size() * weight(c);
    }
    if (gRecords > kMaxRecordsPerBatch || gChars > kMaxValueCharsPerBatch)
      return Error::invalidArgument("one record set change exceeds Route 53's batch limits (" +
                                    std::to_string(gRecords) + " records, " +
                                    std::to_string(gChars) + " characters)");
    if (out.empty() || records + gRecords > kMaxRecordsPerBatch ||
        chars + gChars > kMaxValueCharsPerBatch) {
      out.emplace_back();
      records = chars = 0;
    }
    out.back().changes.insert(out.back().changes.end(), g.begin(), g.end());
    ++out.back().groups;
    records += gRecords;
    chars += gChars;
  }
  return out;
}

}  // namespace mailroom::dnspub::route53
