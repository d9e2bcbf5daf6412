#include "operator/controllers/records.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dmarc/record.h"

namespace mailroom::controllers {
namespace {

MailDomainSpec spec(const std::string& yaml) {
  auto r = parseMailDomainSpec(YAML::Load(yaml));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : MailDomainSpec{};
}

TEST(Spf, SendingIpsByFamilyThenRangesThenIncludesDeduped) {
  auto s = spec(R"({domain: d.example, sendingIPs: [2001:db8::1, 198.51.100.1],
                    spf: {policy: "-all", ip4: [198.51.100.1, 203.0.113.0/24],
                          ip6: ["2001:db8:1::/48"], includes: [_spf.example.net]}})");
  EXPECT_EQ(renderSpf(s),
            "v=spf1 ip4:198.51.100.1 ip4:203.0.113.0/24 ip6:2001:db8::1 ip6:2001:db8:1::/48 "
            "include:_spf.example.net -all");
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

TEST(Dkim, PendingWithoutKeyAndPublishedWithIt) {
  auto s =
      spec(R"({domain: d.example, dkim: {selectors: [{name: s1, algorithm: ed25519-sha256}]}})");
  auto pending = desiredRecords(s);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[1].name, "s1._domainkey.d.example");
  EXPECT_TRUE(pending[1].pending);
  EXPECT_NE(pending[1].values[0].find("pending"), std::string::npos);

  std::string value = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  auto published = desiredRecords(s, {{"s1", value}});
  EXPECT_FALSE(published[1].pending);
  EXPECT_EQ(published[1].values, std::vector<std::string>{"\"" + value + "\""});
}

TEST(Dkim, LongKeysAreSplitInto255OctetStrings) {
  auto s = spec(R"({domain: d.example, dkim: {selectors: [{name: big}]}})");
  std::string value = "v=DKIM1; k=rsa; p=" + std::string(400, 'A');
  auto records = desiredRecords(s, {{"big", value}});
  EXPECT_EQ(records[1].values[0], dkim::renderZoneTxt(dkim::splitTxtStrings(value)));
  EXPECT_EQ(records[1].values[0].substr(0, 257), "\"" + value.substr(0, 255) + "\"");
}

TEST(Parse, RejectsWhatRenderingCannotUse) {
  for (const char* bad : {
           "{}",
           "{domain: d.example, spf: {policy: '+all'}}",
           "{domain: d.example, spf: {ip4: ['2001:db8::1']}}",
           "{domain: d.example, spf: {ip6: ['198.51.100.1']}}",
           "{domain: d.example, sendingIPs: ['198.51.100.0/24']}",
           "{domain: d.example, sendingIPs: ['mail.example']}",
           "{domain: d.example, dmarc: {policy: block}}",
           "{domain: d.example, dmarc: {pct: 101}}",
           "{domain: d.example, dmarc: {rua: ['https://x']}}",
           "{domain: d.example, dkim: {selectors: [{name: a}, {name: a}]}}",
           "{domain: d.example, dkim: {selectors: [{name: a, algorithm: rsa-sha1}]}}",
           "{domain: d.example, dkim: {selectors: [{name: a, keySize: big}]}}",
       }) {
    auto r = parseMailDomainSpec(YAML::Load(bad));
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << bad;
    }
  }
}

TEST(Parse, WholeObjectChecksKindAndReadsMetadata) {
  auto md = parseMailDomain(
      R"({"apiVersion":"mailroom.dev/v1alpha1","kind":"MailDomain",
          "metadata":{"name":"a","namespace":"ns","generation":4},"spec":{"domain":"a.example"}})");
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ(md->name, "a");
  EXPECT_EQ(md->namespace_, "ns");
  EXPECT_EQ(md->generation, 4);
  EXPECT_FALSE(parseMailDomain("{kind: Transport, apiVersion: mailroom.dev/v1alpha1}").ok());
  EXPECT_FALSE(parseMailDomain("{[").ok());
  auto noMeta = parseMailDomain(
      "{kind: MailDomain, apiVersion: mailroom.dev/v1alpha1, spec: {domain: x.example}}");
  ASSERT_TRUE(noMeta.ok()) << noMeta.error().message;
  EXPECT_EQ(noMeta->spec.domain, "x.example");
}

}  // namespace
}  // namespace mailroom::controllers
