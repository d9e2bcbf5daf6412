#include "operator/dns/providers/powerdns/zone_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mailroom::dnspub::powerdns {
namespace {

TEST(PowerDnsZoneJson, ParsesTheZoneObject) {
  auto z = parseZone(R"({"id":"example.com.","name":"example.com.","kind":"Native","serial":1,
    "rrsets":[{"name":"example.com.","type":"TXT","ttl":3600,"comments":[],
               "records":[{"content":"\"v=spf1 -all\"","disabled":false},
                          {"content":"\"old\"","disabled":true}]},
              {"name":"example.com.","type":"SOA","ttl":3600,
               "records":[{"content":"ns. h. 1 2 3 4 5"}]}]})");
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_EQ(z->name, "example.com.");
  ASSERT_EQ(z->rrsets.size(), 2u);
  EXPECT_EQ(z->rrsets[0].ttl, 3600u);
  EXPECT_EQ(z->rrsets[0].records,
            (std::vector<PdnsRecord>{{"\"v=spf1 -all\"", false}, {"\"old\"", true}}));
}

TEST(PowerDnsZoneJson, RejectsWhatItCannotRead) {
  for (
      const char* bad : {
          "",
          "null",
          "[]",
          "{\"name\":1,\"rrsets\":[]}",
          "{\"name\":\"x.\"}",
          "{\"name\":\"x.\",\"rrsets\":{}}",
          "{\"name\":\"x.\",\"rrsets\":[1]}",
          R"({"name":"x.","rrsets":[{"name":"x.","type":"TXT","ttl":-1}]})",
          R"({"name":"x.","rrsets":[{"name":"x.","type":"TXT","ttl":99999999999}]})",
          R"({"name":"x.","rrsets":[{"name":"x.","type":"TXT","records":[{"content":1}]}]})",
          R"({"name":"x.","rrsets":[{"name":"x.","type":"TXT","records":[{"content":"a","disabled":"no"}]}]})",
          "{\"name\":\"x.\",\"rrsets\":[]",
      }) {
    EXPECT_FALSE(parseZone(bad).ok()) << bad;
  }
}

TEST(PowerDnsZoneJson, RendersReplaceAndDelete) {
  std::string body = renderPatch(
      {{RRsetWrite::Kind::kReplace, {"example.com.", "TXT", 300, {{"\"a\\\"b\"", false}}}},
       {RRsetWrite::Kind::kDelete, {"_dmarc.example.com.", "TXT", 0, {}}}});
  EXPECT_EQ(nlohmann::json::parse(body), nlohmann::json::parse(R"({"rrsets":[
      {"name":"example.com.","type":"TXT","changetype":"REPLACE","ttl":300,
       "records":[{"content":"\"a\\\"b\"","disabled":false}]},
      {"name":"_dmarc.example.com.","type":"TXT","changetype":"DELETE"}]})"));
}

TEST(PowerDnsZoneJson, ErrorMessage) {
  EXPECT_EQ(errorMessage(R"({"error":"Could not find domain 'x.'"})"),
            "Could not find domain 'x.'");
  EXPECT_EQ(errorMessage("Unauthorized"), "");
  EXPECT_EQ(errorMessage(R"({"error":5})"), "");
}

}  // namespace
}  // namespace mailroom::dnspub::powerdns
