#include "operator/controllers/records.h"

#include <gtest/gtest.h>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dmarc/record.h"
#include "operator/api/v1alpha1/yaml.h"

namespace mailroom::controllers {
namespace {

api::MailDomainSpec spec(const std::string& yaml) {
  auto docs = api::yamlDocumentsToJson(yaml);
  EXPECT_TRUE(docs.ok() && docs->size() == 1) << yaml;
  if (!docs.ok() || docs->empty()) return {};
  auto r = api::decode<api::MailDomainSpec>(docs->front(), "spec");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : api::MailDomainSpec{};
}

TEST(Spf, SendingIpsByFamilyThenRangesThenIncludesDeduped) {
  auto s = spec(R"({domain: d.example, sendingIPs: [2001:db8::1, 198.51.100.1],
                    spf: {policy: "-all", ip4: [198.51.100.1, 203.0.113.0/24],
                          ip6: ["2001:db8:1::/48"], includes: [_spf.example.net]}})");
  EXPECT_EQ(renderSpf(s),
            "v=spf1 ip4:198.51.100.1 ip4:203.0.113.0/24 ip6:2001:db8::1 ip6:2001:db8:1::/48 "
            "include:_spf.example.net -all");
}

TEST(Spf, AuthorizesTheSourceAddressesOfReferencedTransports) {
  auto s = spec(R"({domain: d.example, sendingIPs: [198.51.100.1]})");
  EXPECT_EQ(renderSpf(s, {"2001:db8:5::10", "198.51.100.10", "198.51.100.1"}),
            "v=spf1 ip4:198.51.100.1 ip4:198.51.100.10 ip6:2001:db8:5::10 ~all");
  EXPECT_EQ(desiredRecords(s, {}, {"203.0.113.7"})[0].values[0],
            "v=spf1 ip4:198.51.100.1 ip4:203.0.113.7 ~all");
}

TEST(Spf, DefaultsToSoftFail) {
  EXPECT_EQ(renderSpf(spec("{domain: d.example}")), "v=spf1 ~all");
}

TEST(Dmarc, RenderedRecordParsesBackWithTheSpecValues) {
  auto s = spec(R"({domain: d.example, dmarc: {policy: reject, subdomainPolicy: none, pct: 20,
                    rua: ["mailto:a@d.example"], adkim: s}})");
  auto txt = renderDmarc(s.dmarc);
  EXPECT_EQ(txt, "v=DMARC1; p=reject; sp=none; pct=20; rua=mailto:a@d.example; adkim=s");
  auto parsed = dmarc::parseRecord(txt);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->p, dmarc::Policy::kReject);
  EXPECT_EQ(parsed->percent(), 20);
}

TEST(Dmarc, DefaultsTheApiServerFillsInAreLeftOut) {
  auto s = spec(R"({domain: d.example, dmarc: {policy: reject, subdomainPolicy: reject, pct: 100,
                    adkim: r, aspf: r}})");
  EXPECT_EQ(renderDmarc(s.dmarc), "v=DMARC1; p=reject");
  s = spec(R"({domain: d.example, dmarc: {policy: reject, pct: 50, aspf: s}})");
  EXPECT_EQ(renderDmarc(s.dmarc), "v=DMARC1; p=reject; pct=50; aspf=s");
}

TEST(Dkim, PendingWithoutKeyAndPublishedWithIt) {
  auto s =
      spec(R"({domain: d.example, dkim: {selectors: [{name: s1, algorithm: ed25519-sha256}]}})");
  auto pending = desiredRecords(s);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[1].name, "s1._domainkey.d.example");
  EXPECT_TRUE(pending[1].pending);
  EXPECT_NE(pending[1].values[0].find("pending"), std::string::npos);

  std::string value = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  auto published = desiredRecords(s, {{"s1", "s1", value}});
  EXPECT_FALSE(published[1].pending);
  EXPECT_EQ(published[1].values, std::vector<std::string>{value});
}

TEST(Dkim, LongKeysAreOneLogicalValueSplitOnlyInTheZoneFileForm) {
  auto s = spec(R"({domain: d.example, dkim: {selectors: [{name: big}]}})");
  std::string value = "v=DKIM1; k=rsa; p=" + std::string(400, 'A');
  auto records = desiredRecords(s, {{"big", "big", value}});
  EXPECT_EQ(records[1].values[0], value);
  std::string text = formatRecordsText(records);
  EXPECT_NE(text.find(dkim::renderZoneTxt(dkim::splitTxtStrings(value))), std::string::npos);
  EXPECT_NE(text.find("\"" + value.substr(0, 255) + "\" \""), std::string::npos);
}

TEST(Dkim, RotatedKeysAndKeysOfRemovedSelectorsArePublishedToo) {
  auto s = spec(R"({domain: d.example, dkim: {selectors: [{name: s1}, {name: s2}]}})");
  auto records = desiredRecords(s, {{"s1", "s1", "v=DKIM1; p=OLD"},
                                    {"s1", "s1-r1", "v=DKIM1; p=NEW"},
                                    {"gone", "gone", "v=DKIM1; p="}});
  std::vector<std::string> names;
  for (const auto& r : records) names.push_back(r.name + (r.pending ? " pending" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"d.example", "s1._domainkey.d.example",
                                             "s1-r1._domainkey.d.example",
                                             "s2._domainkey.d.example pending",
                                             "gone._domainkey.d.example", "_dmarc.d.example"}));
  EXPECT_EQ(records[2].values, std::vector<std::string>{"v=DKIM1; p=NEW"});
}

}  // namespace
}  // namespace mailroom::controllers
