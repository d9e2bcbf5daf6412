#include "operator/dns/spf_merge.h"

#include <gtest/gtest.h>

#include "operator/dns/registry.h"

namespace mailroom::dnspub {
namespace {

spf::Record rec(const std::string& s) {
  auto r = spf::parseRecord(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : spf::Record{};
}

struct MergeCase {
  const char* name;
  const char* foreign;  // "" = no foreign record
  const char* desired;
  const char* merged;
  std::vector<std::string> ours;  // the terms we own afterwards
};

TEST(SpfMerge, GoldenCases) {
  const MergeCase cases[] = {
      {"no foreign record: ours entirely",
       "",
       "v=spf1 ip4:198.51.100.10 -all",
       "v=spf1 ip4:198.51.100.10 -all",
       {"ip4:198.51.100.10", "-all"}},
      {"foreign policy wins, our terms before it",
       "v=spf1 include:_spf.google.com ~all",
       "v=spf1 ip4:198.51.100.10 ip6:2001:db8::10 -all",
       "v=spf1 include:_spf.google.com ip4:198.51.100.10 ip6:2001:db8::10 ~all",
       {"ip4:198.51.100.10", "ip6:2001:db8::10"}},
      {"a term the foreign record has stays foreign",
       "v=spf1 ip4:198.51.100.10 mx -all",
       "v=spf1 ip4:198.51.100.10 include:_spf.example.net -all",
       "v=spf1 ip4:198.51.100.10 mx include:_spf.example.net -all",
       {"include:_spf.example.net"}},
      {"foreign redirect is the policy: no all added",
       "v=spf1 redirect=_spf.example.net",
       "v=spf1 ip4:192.0.2.1 -all",
       "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net",
       {"ip4:192.0.2.1"}},
      {"foreign without policy gets ours",
       "v=spf1 a exp=x.example.com",
       "v=spf1 ip4:192.0.2.1 ~all",
       "v=spf1 a ip4:192.0.2.1 ~all exp=x.example.com",
       {"ip4:192.0.2.1", "~all"}},
      {"foreign deny terms stay first",
       "v=spf1 -ip4:192.0.2.66 exp=why.example.com -all",
       "v=spf1 ip4:192.0.2.0/24 -all",
       "v=spf1 -ip4:192.0.2.66 exp=why.example.com ip4:192.0.2.0/24 -all",
       {"ip4:192.0.2.0/24"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = mergeSpf(*c.foreign ? rec(c.foreign) : spf::Record{}, rec(c.desired));
    EXPECT_EQ(spf::renderRecord(m.record), c.merged);
    std::set<std::string> ours;
    for (const auto& t : c.ours) ours.insert(valueHash(t));
    EXPECT_EQ(m.ownedTermHashes, ours);
    if (*c.foreign) EXPECT_EQ(withoutTerms(m.record, m.ownedTermHashes), rec(c.foreign));
  }
}

TEST(SpfMerge, RemovingOurTermsRestoresTheForeignRecordTermForTerm) {
  auto foreign = rec("v=spf1 include:_spf.google.com ~all");
  auto m = mergeSpf(foreign, rec("v=spf1 ip4:198.51.100.10 a:mail.example.com -all"));
  EXPECT_EQ(withoutTerms(m.record, m.ownedTermHashes), foreign);
}

}  // namespace
}  // namespace mailroom::dnspub
