// The project's words for address families and TLS policies: names round-trip, parsing is exact.
#include <gtest/gtest.h>

#include "lib/common/address_family.h"
#include "lib/common/tls_policy.h"

namespace mailroom {
namespace {

TEST(AddressFamilyTest, NamesRoundTripAndParsingIsExact) {
  for (auto f : {AddressFamily::kIpv4, AddressFamily::kIpv6})
    EXPECT_EQ(parseFamily(familyName(f)), f);
  EXPECT_STREQ(familyName(AddressFamily::kIpv6), "IPv6");
  EXPECT_EQ(parseFamily("ipv4"), std::nullopt);  // the CRD enums are case-sensitive
  EXPECT_EQ(parseFamily("Any"), std::nullopt);   // a policy, not a family
  EXPECT_EQ(otherFamily(AddressFamily::kIpv4), AddressFamily::kIpv6);
}

TEST(FamilyPolicyTest, OnlyOrBothWithAPreference) {
  struct Case {
    FamilyPolicy policy;
    bool v4, v6;
    AddressFamily first;
    const char* word;
  };
  const Case cases[] = {
      {{AddressFamily::kIpv4}, true, false, AddressFamily::kIpv4, "IPv4"},
      {{AddressFamily::kIpv6}, false, true, AddressFamily::kIpv6, "IPv6"},
      {{}, true, true, AddressFamily::kIpv6, "Any"},
      {{std::nullopt, AddressFamily::kIpv4}, true, true, AddressFamily::kIpv4, "Any"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.word);
    EXPECT_EQ(c.policy.allows(AddressFamily::kIpv4), c.v4);
    EXPECT_EQ(c.policy.allows(AddressFamily::kIpv6), c.v6);
    EXPECT_EQ(c.policy.both(), c.v4 && c.v6);
    EXPECT_EQ(c.policy.first(), c.first);
    EXPECT_STREQ(addressFamilyWord(c.policy), c.word);
  }
}

TEST(FamilyPolicyTest, EqualityIgnoresThePreferenceOfASingleFamily) {
  const FamilyPolicy v4{AddressFamily::kIpv4, AddressFamily::kIpv6};
  EXPECT_EQ(v4, (FamilyPolicy{AddressFamily::kIpv4, AddressFamily::kIpv4}));
  EXPECT_NE(v4, (FamilyPolicy{AddressFamily::kIpv6, AddressFamily::kIpv6}));
  EXPECT_NE(FamilyPolicy{}, (FamilyPolicy{std::nullopt, AddressFamily::kIpv4}));
  EXPECT_NE(FamilyPolicy{}, v4);
}

TEST(TlsPolicyTest, NamesRoundTripAndParsingIsExact) {
  for (auto p :
       {TlsPolicy::kNone, TlsPolicy::kOpportunistic, TlsPolicy::kRequired, TlsPolicy::kImplicit})
    EXPECT_EQ(parseTlsPolicy(tlsPolicyName(p)), p);
  EXPECT_EQ(parseTlsPolicy("Required"), std::nullopt);
  EXPECT_EQ(parseTlsPolicy("starttls"), std::nullopt);  // the relay's word, mapped by config
  EXPECT_EQ(parseTlsPolicy(""), std::nullopt);
}

}  // namespace
}  // namespace mailroom
