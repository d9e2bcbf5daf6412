#include "lib/auth/dmarc/record.h"

#include <gtest/gtest.h>

namespace mailroom::dmarc {
namespace {

TEST(DmarcRecord, ParsesEveryTag) {
  auto r = parseRecord(
      "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:agg@example.com!10m, "
      "mailto:agg@thirdparty.example; ruf=mailto:forensic@example.com; adkim=s; aspf=r; "
      "fo=1:d; rf=afrf; ri=3600; x_future=ignored;");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->p, Policy::kReject);
  EXPECT_EQ(r->subdomainPolicy(), Policy::kQuarantine);
  EXPECT_EQ(r->percent(), 50);
  ASSERT_EQ(r->rua.size(), 2u);
  EXPECT_EQ(r->rua[0].uri, "mailto:agg@example.com");
  EXPECT_EQ(r->rua[0].maxSize, 10u);
  EXPECT_EQ(r->rua[0].unit, 'm');
  EXPECT_EQ(r->rua[1].uri, "mailto:agg@thirdparty.example");
  EXPECT_FALSE(r->rua[1].maxSize.has_value());
  ASSERT_EQ(r->ruf.size(), 1u);
  EXPECT_EQ(r->dkimAlignment(), AlignmentMode::kStrict);
  EXPECT_EQ(r->spfAlignment(), AlignmentMode::kRelaxed);
  EXPECT_EQ(r->failureOptions(), "1:d");
  EXPECT_EQ(r->reportFormat(), "afrf");
  EXPECT_EQ(r->reportInterval(), 3600u);
}

TEST(DmarcRecord, DefaultsWhenTagsAreAbsent) {
  auto r = parseRecord("v=DMARC1;p=none");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->p, Policy::kNone);
  EXPECT_EQ(r->subdomainPolicy(), Policy::kNone);
  EXPECT_EQ(r->percent(), 100);
  EXPECT_EQ(r->dkimAlignment(), AlignmentMode::kRelaxed);
  EXPECT_EQ(r->spfAlignment(), AlignmentMode::kRelaxed);
  EXPECT_EQ(r->failureOptions(), "0");
  EXPECT_EQ(r->reportInterval(), 86400u);
}

TEST(DmarcRecord, TagNamesAndPolicyValuesIgnoreCaseAndWhitespace) {
  auto r = parseRecord("  v = DMARC1 ;\tP = Quarantine ; ADKIM=S ");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->p, Policy::kQuarantine);
  EXPECT_EQ(r->dkimAlignment(), AlignmentMode::kStrict);
}

TEST(DmarcRecord, ErrorsNameTheTag) {
  struct {
    const char* record;
    const char* prefix;
  } cases[] = {
      {"p=reject; v=DMARC1", "v: must be the first tag"},
      {"v=DMARC2; p=reject", "v: "},
      {"v=dmarc1; p=reject", "v: "},
      {"v=DMARC1", "p: missing"},
      {"v=DMARC1; p=block", "p: \"block\""},
      {"v=DMARC1; p=none; sp=maybe", "sp: "},
      {"v=DMARC1; p=none; pct=101", "pct: "},
      {"v=DMARC1; p=none; pct=-1", "pct: "},
      {"v=DMARC1; p=none; rua=agg@example.com", "rua: "},
      {"v=DMARC1; p=none; rua=mailto:a@example.com!big", "rua: "},
      {"v=DMARC1; p=none; ruf=mailto:a@example.com,", "ruf: empty URI"},
      {"v=DMARC1; p=none; adkim=x", "adkim: "},
      {"v=DMARC1; p=none; aspf=relaxed", "aspf: "},
      {"v=DMARC1; p=none; fo=2", "fo: "},
      {"v=DMARC1; p=none; rf=", "rf: "},
      {"v=DMARC1; p=none; ri=4294967296", "ri: "},
      {"v=DMARC1; p=none; p=reject", "p: appears more than once"},
  };
  for (const auto& c : cases) {
    auto r = parseRecord(c.record);
    ASSERT_FALSE(r.ok()) << c.record;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message.rfind(c.prefix, 0), 0u) << c.record << " -> " << r.error().message;
  }
  EXPECT_FALSE(parseRecord("v=DMARC1; p=none; ;").ok());
  EXPECT_FALSE(parseRecord("v=DMARC1; novalue").ok());
}

TEST(DmarcRecord, MissingOrBadPWithValidRuaIsNone) {
  for (const char* text :
       {"v=DMARC1; rua=mailto:agg@example.com", "v=DMARC1; p=bogus; rua=mailto:agg@example.com"}) {
    auto r = parseRecord(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r->p, Policy::kNone);
    EXPECT_TRUE(r->pImplied);
  }
}

TEST(DmarcRecord, IsDmarcRecord) {
  EXPECT_TRUE(isDmarcRecord("v=DMARC1; p=none"));
  EXPECT_TRUE(isDmarcRecord("v=DMARC1"));
  EXPECT_TRUE(isDmarcRecord(" v = DMARC1;p=none"));
  EXPECT_FALSE(isDmarcRecord("v=spf1 -all"));
  EXPECT_FALSE(isDmarcRecord("p=none; v=DMARC1"));
  EXPECT_FALSE(isDmarcRecord("v=DMARC10; p=none"));
}

TEST(DmarcRecord, RendersAndRoundTrips) {
  const char* texts[] = {
      "v=DMARC1; p=reject",
      "v=DMARC1;p=Quarantine;sp=none;pct=0;rua=mailto:a@example.com!1K,https://r.example/x;"
      "ruf=mailto:f@example.com;adkim=s;aspf=s;fo=0:1:D:s;rf=afrf:IODEF;ri=0",
      "v=DMARC1; rua=mailto:a@example.com",
  };
  for (const char* t : texts) {
    auto r = parseRecord(t);
    ASSERT_TRUE(r.ok()) << t << ": " << r.error().message;
    auto text = renderRecord(*r);
    auto again = parseRecord(text);
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(*again, *r) << text;
  }
  auto r = parseRecord(texts[1]);
  EXPECT_EQ(renderRecord(*r),
            "v=DMARC1; p=quarantine; sp=none; pct=0; rua=mailto:a@example.com!1k,"
            "https://r.example/x; ruf=mailto:f@example.com; adkim=s; aspf=s; fo=0:1:d:s; "
            "rf=afrf:iodef; ri=0");
  EXPECT_EQ(renderRecord(*parseRecord(texts[2])), "v=DMARC1; rua=mailto:a@example.com");
}

}  // namespace
}  // namespace mailroom::dmarc
