// Golden cases for the plan (like external-dns's plan tests): each case is a zone, what we own
// in it, what we want, and the record changes and conflicts expected, in formatPlan's text.
#include "operator/dns/plan.h"

#include <gtest/gtest.h>

#include "lib/auth/spf/record.h"

namespace mailroom::dnspub {
namespace {

const Owner kOwner{"prod", "mail", "example-com"};
const std::string kApex = "example.com";
const std::string kSel = "s1._domainkey.example.com";
const std::string kDmarc = "_dmarc.example.com";
const std::string kGsv = "google-site-verification=abc123";

struct Owned {
  std::string name;
  std::vector<std::string> values;    // whole values we own
  std::vector<std::string> spfTerms;  // SPF terms we own
};

// The zone plus ownership records naming what we own.
std::vector<RecordSet> zone(std::vector<RecordSet> records, const std::vector<Owned>& owned) {
  for (const auto& o : owned) {
    Ownership ow{kOwner, "TXT", {}, {}};
    for (const auto& v : o.values) ow.valueHashes.insert(valueHash(v));
    for (const auto& t : o.spfTerms) ow.spfTermHashes.insert(valueHash(t));
    records.push_back({ownershipName(o.name), "TXT", 60, {renderOwnership(ow)}});
  }
  return records;
}

// formatPlan without the ownership records (checked on their own below).
std::string recordChanges(const Plan& p) {
  Plan only = p;
  std::erase_if(only.changes, [](const Change& c) { return isOwnershipName(c.key.name); });
  return formatPlan(only);
}

struct Case {
  const char* name;
  std::vector<RecordSet> current;
  std::vector<RecordSet> desired;
  std::string expected;
};

const std::string kSpf = "v=spf1 ip4:198.51.100.10 -all";
const std::string kSpfForeign = "v=spf1 include:_spf.google.com ~all";
const std::string kSpfMerged = "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all";
const std::string kKey1 = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const std::string kKey2 = "v=DKIM1; k=ed25519; p=22qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const std::string kDmarcReject = "v=DMARC1; p=reject";

std::vector<RecordSet> wantAll(const std::string& spf = kSpf) {
  return {{kApex, "TXT", 300, {spf}},
          {kSel, "TXT", 300, {kKey1}},
          {kDmarc, "TXT", 300, {kDmarcReject}}};
}

TEST(Plan, GoldenCases) {
  std::string includes8;
  for (int i = 0; i < 8; ++i) includes8 += " include:s" + std::to_string(i) + ".example.net";
  const Case cases[] = {
      {"first round on an empty zone adds everything",
       {},
       wantAll(),
       "change TXT _dmarc.example.com\n  + \"" + kDmarcReject +
           "\"\n"
           "change TXT example.com\n  + \"" +
           kSpf +
           "\"\n"
           "change TXT s1._domainkey.example.com\n  + \"" +
           kKey1 + "\"\n"},
      {"second round changes nothing",
       zone({{kApex, "TXT", 300, {kSpf}},
             {kSel, "TXT", 300, {kKey1}},
             {kDmarc, "TXT", 300, {kDmarcReject}}},
            {{kApex, {}, {"ip4:198.51.100.10", "-all"}},
             {kSel, {kKey1}, {}},
             {kDmarc, {kDmarcReject}, {}}}),
       wantAll(), ""},
      {"a foreign SPF record is merged into, other apex values untouched",
       {{kApex, "TXT", 3600, {kGsv, kSpfForeign}}},
       {{kApex, "TXT", 300, {kSpf}}},
       "change TXT example.com\n  - \"" + kSpfForeign + "\"\n  + \"" + kSpfMerged + "\"\n"},
      {"our terms change inside the merged record",
       zone({{kApex, "TXT", 3600, {kGsv, kSpfMerged}}}, {{kApex, {}, {"ip4:198.51.100.10"}}}),
       {{kApex, "TXT", 300, {"v=spf1 ip4:198.51.100.11 -all"}}},
       "change TXT example.com\n  - \"" + kSpfMerged +
           "\"\n  + \"v=spf1 include:_spf.google.com ip4:198.51.100.11 ~all\"\n"},
      {"deletion gives the foreign SPF record back and removes only our values",
       zone({{kApex, "TXT", 3600, {kGsv, kSpfMerged}}, {kSel, "TXT", 300, {kKey1}}},
            {{kApex, {}, {"ip4:198.51.100.10"}}, {kSel, {kKey1}, {}}}),
       {},
       "change TXT example.com\n  - \"" + kSpfMerged + "\"\n  + \"" + kSpfForeign +
           "\"\n"
           "change TXT s1._domainkey.example.com\n  - \"" +
           kKey1 + "\"\n"},
      {"deleting an SPF record we created removes it",
       zone({{kApex, "TXT", 300, {kGsv, kSpf}}}, {{kApex, {}, {"ip4:198.51.100.10", "-all"}}}),
       {},
       "change TXT example.com\n  - \"" + kSpf + "\"\n"},
      {"a foreign DKIM key at our selector is a conflict and stays",
       {{kSel, "TXT", 300, {kKey2}}},
       {{kSel, "TXT", 300, {kKey1}}},
       "conflict TXT s1._domainkey.example.com ForeignValue: TXT s1._domainkey.example.com already "
       "has a DKIM value Mailroom does not own (\"v=DKIM1; k=ed25519; "
       "p=22qYAYKxCrfVS/7TyWQHOg7...\"); it is left alone and Mailroom's DKIM value is not "
       "published: remove the foreign value to let Mailroom publish\n"},
      {"a foreign DMARC record is a conflict and stays",
       {{kDmarc, "TXT", 300, {"v=DMARC1; p=none"}}},
       {{kDmarc, "TXT", 300, {kDmarcReject}}},
       "conflict TXT _dmarc.example.com ForeignValue: TXT _dmarc.example.com already has a DMARC "
       "value Mailroom does not own (\"v=DMARC1; p=none\"); it is left alone and Mailroom's DMARC "
       "value is not published: remove the foreign value to let Mailroom publish\n"},
      {"a foreign value equal to ours satisfies us and is not claimed",
       {{kDmarc, "TXT", 300, {kDmarcReject}}},
       {{kDmarc, "TXT", 300, {kDmarcReject}}},
       ""},
      {"our own key at the selector is rotated by value",
       zone({{kSel, "TXT", 300, {kKey1}}}, {{kSel, {kKey1}, {}}}),
       {{kSel, "TXT", 300, {kKey2}}},
       "change TXT s1._domainkey.example.com\n  - \"" + kKey1 + "\"\n  + \"" + kKey2 + "\"\n"},
      {"two SPF records are a conflict",
       {{kApex, "TXT", 300, {kSpfForeign, "v=spf1 mx -all"}}},
       {{kApex, "TXT", 300, {kSpf}}},
       "conflict TXT example.com MultipleSpfRecords: TXT example.com holds 2 SPF records, a "
       "permerror for every receiver (RFC 7208 §3.2); Mailroom will not merge into them: keep "
       "one\n"},
      {"a foreign SPF record that does not parse is a conflict",
       {{kApex, "TXT", 300, {"v=spf1 include -all"}}},
       {{kApex, "TXT", 300, {kSpf}}},
       "conflict TXT example.com InvalidSpfRecord: the SPF record at example.com does not parse "
       "(" +
           spf::parseRecord("v=spf1 include -all").error().message +
           "); Mailroom leaves it alone: fix it so Mailroom can merge its terms\n"},
      {"a merge over 10 lookups is a conflict",
       {{kApex, "TXT", 300, {"v=spf1" + includes8 + " -all"}}},
       {{kApex, "TXT", 300, {"v=spf1 include:a.example.org mx a -all"}}},
       "conflict TXT example.com SpfLookupLimit: the SPF record at example.com with Mailroom's "
       "terms would have 11 DNS-querying terms, over the limit of 10 (RFC 7208 §4.6.4); nothing "
       "was changed: replace include:, a or mx terms by ip4:/ip6:\n"},
      {"a value we owned that someone removed is not re-removed",
       zone({{kApex, "TXT", 300, {kGsv}}}, {{kSel, {kKey1}, {}}}),
       {},
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = plan(c.current, c.desired, kOwner);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(recordChanges(*p), c.expected);
  }
}

// What the ownership changes of a plan leave us owning at name, per the rendered registry.
std::optional<Ownership> ownedAfter(const Plan& p, const std::string& name) {
  for (const auto& c : p.changes) {
    if (c.key.name != ownershipName(name)) continue;
    for (const auto& v : c.after) {
      auto o = parseOwnership(v);
      if (o && o->owner == kOwner) return *o;
    }
    return std::nullopt;
  }
  ADD_FAILURE() << "no ownership change at " << name;
  return std::nullopt;
}

TEST(Plan, ClaimsWhatItAddsBeforeAddingIt) {
  auto p = plan({{kApex, "TXT", 300, {kSpfForeign}}}, wantAll(), kOwner);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->changes.size(), 6u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(isOwnershipName(p->changes[i].key.name)) << i;
  auto apex = ownedAfter(*p, kApex);
  ASSERT_TRUE(apex);
  EXPECT_EQ(apex->spfTermHashes, std::set<std::string>{valueHash("ip4:198.51.100.10")});
  EXPECT_TRUE(apex->valueHashes.empty());
  auto sel = ownedAfter(*p, kSel);
  ASSERT_TRUE(sel);
  EXPECT_EQ(sel->valueHashes, std::set<std::string>{valueHash(kKey1)});
  EXPECT_EQ(p->changes[0].ttl, 300u);
}

TEST(Plan, ReleasesOwnershipAfterRemovingAndLeavesOtherOwnersValues) {
  Ownership other{{"staging", "mail", "example-com"}, "TXT", {valueHash(kKey2)}, {}};
  auto current = zone({{kSel, "TXT", 300, {kKey1}}}, {{kSel, {kKey1}, {}}});
  current.back().values.push_back(renderOwnership(other));
  auto p = plan(current, {}, kOwner);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->changes.size(), 2u);
  EXPECT_EQ(p->changes[0].key.name, kSel);
  EXPECT_EQ(p->changes[1].key.name, ownershipName(kSel));
  EXPECT_EQ(p->changes[1].after, std::vector<std::string>{renderOwnership(other)});
  EXPECT_EQ(p->valuesRemoved, 1);
}

TEST(Plan, ConflictsKeepWhatWeOwn) {
  auto current = zone({{kApex, "TXT", 300, {kSpfMerged, "v=spf1 mx -all"}}},
                      {{kApex, {}, {"ip4:198.51.100.10"}}});
  auto p = plan(current, {{kApex, "TXT", 300, {kSpf}}}, kOwner);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->changes.empty());
  ASSERT_EQ(p->conflicts.size(), 1u);
  EXPECT_EQ(p->conflicts[0].reason, "MultipleSpfRecords");
}

TEST(Plan, RejectsDesiredRecordsItCannotPublish) {
  EXPECT_FALSE(plan({}, {{kApex, "A", 300, {"192.0.2.1"}}}, kOwner).ok());
  EXPECT_FALSE(plan({}, {{kApex, "TXT", 300, {kSpf, "v=spf1 mx -all"}}}, kOwner).ok());
  EXPECT_FALSE(plan({}, {{kApex, "TXT", 300, {"v=spf1 bogus:x -all"}}}, kOwner).ok());
  EXPECT_FALSE(plan({}, {{ownershipName(kApex), "TXT", 300, {"x"}}}, kOwner).ok());
  EXPECT_FALSE(plan({}, wantAll(), Owner{"", "mail", "x"}).ok());
  std::string longName = std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                         std::string(60, 'c') + "." + std::string(50, 'd') + ".example.com";
  EXPECT_FALSE(plan({}, {{longName, "TXT", 300, {"x"}}}, kOwner).ok());  // 243 + 16 > 253
}

TEST(Plan, Slots) {
  EXPECT_EQ(slotOf(kSel, "anything"), "DKIM");
  EXPECT_EQ(slotOf(kDmarc, "anything"), "DMARC");
  EXPECT_EQ(slotOf(kApex, "v=DMARC1; p=none"), "DMARC");
  EXPECT_EQ(slotOf(kApex, kSpf), "SPF");
  EXPECT_EQ(slotOf(kApex, kGsv), "");
}

}  // namespace
}  // namespace mailroom::dnspub
