#include "operator/dns/registry.h"

#include <gtest/gtest.h>

namespace mailroom::dnspub {
namespace {

const Owner kOwner{"prod", "mail", "example-com"};

TEST(Registry, RendersTheGoldenFormatAndParsesItBack) {
  Ownership o{kOwner, "TXT", {valueHash("v=DMARC1; p=reject")}, {valueHash("ip4:192.0.2.1")}};
  std::string text = renderOwnership(o);
  EXPECT_EQ(text,
            "heritage=mailroom,cluster=prod,namespace=mail,maildomain=example-com,type=TXT,"
            "values=" +
                valueHash("v=DMARC1; p=reject") + ",spf-terms=" + valueHash("ip4:192.0.2.1"));
  auto back = parseOwnership(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, o);
}

TEST(Registry, HashIsTheFirst16HexDigitsOfSha256) {
  // sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
  EXPECT_EQ(valueHash("abc"), "ba7816bf8f01cfea");
}

TEST(Registry, RejectsEverythingThatIsNotAWellFormedOwnershipValue) {
  for (const char* bad : {
           "",
           "v=spf1 -all",
           "heritage=external-dns,external-dns/owner=default",
           "heritage=mailroom,cluster=prod,namespace=mail,type=TXT",  // no maildomain
           "heritage=mailroom,cluster=PROD,namespace=mail,maildomain=x,type=TXT",
           "heritage=mailroom,cluster=prod,namespace=mail,maildomain=x,type=TXT,values=zz",
           "heritage=mailroom,cluster=prod,namespace=mail,maildomain=x,type=TXT,future=1",
           "heritage=mailroom,cluster=prod,namespace=mail,maildomain=x,type=CNAME",
           "heritage=mailroom,cluster=prod,namespace=mail,maildomain=x,type=TXT,values",
       }) {
    EXPECT_FALSE(parseOwnership(bad).ok()) << bad;
  }
}

TEST(Registry, OwnershipNames) {
  EXPECT_EQ(ownershipName("_dmarc.example.com"), "_mailroom-owner._dmarc.example.com");
  EXPECT_TRUE(isOwnershipName("_mailroom-owner.example.com"));
  EXPECT_FALSE(isOwnershipName("_mailroom-ownerx.example.com"));
  EXPECT_FALSE(isOwnershipName("example.com"));
}

TEST(Registry, ReadsOnlyOurOwnershipAndMergesDuplicates) {
  Ownership ours1{kOwner, "TXT", {valueHash("a")}, {}};
  Ownership ours2{kOwner, "TXT", {valueHash("b")}, {}};
  Ownership theirs{{"staging", "mail", "example-com"}, "TXT", {valueHash("c")}, {}};
  std::vector<RecordSet> zone = {
      {"_mailroom-owner.example.com",
       "TXT",
       60,
       {renderOwnership(ours1), renderOwnership(theirs), "something else", renderOwnership(ours2)}},
      {"example.com", "TXT", 60, {"a", "b", "c"}},
  };
  auto found = readOwnership(zone, kOwner);
  ASSERT_EQ(found.size(), 1u);
  const auto& f = found.at(RecordKey{"example.com", "TXT"});
  EXPECT_EQ(f.ownership.valueHashes, (std::set<std::string>{valueHash("a"), valueHash("b")}));
  EXPECT_EQ(f.rawValues.size(), 2u);
  EXPECT_EQ(ownedValues(zone[1].values, f.ownership), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace mailroom::dnspub
