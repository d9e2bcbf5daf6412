#include "lib/auth/dmarc/psl.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mailroom::dmarc {
namespace {

// A small list in the real format, with the rule kinds the algorithm distinguishes.
const char* kList = R"(// ===BEGIN ICANN DOMAINS===
com
uk
co.uk
// wildcard and exception
*.ck
!www.ck
jp
*.kawasaki.jp
!city.kawasaki.jp
example   // trailing text after whitespace is ignored
// ===BEGIN PRIVATE DOMAINS===
github.io
)";

TEST(PublicSuffixList, ParsesRuleKinds) {
  auto l = parsePublicSuffixList(kList);
  EXPECT_TRUE(l.rules.count("co.uk"));
  EXPECT_TRUE(l.rules.count("example"));
  EXPECT_TRUE(l.wildcards.count("ck"));
  EXPECT_TRUE(l.exceptions.count("www.ck"));
  EXPECT_EQ(l.size(), 10u);
}

TEST(PublicSuffixList, OrgDomain) {
  auto l = parsePublicSuffixList(kList);
  EXPECT_EQ(orgDomain("mail.example.com", l), "example.com");
  EXPECT_EQ(orgDomain("Example.COM.", l), "example.com");
  EXPECT_EQ(orgDomain("a.b.example.co.uk", l), "example.co.uk");
  EXPECT_EQ(orgDomain("example.uk", l), "example.uk");
  EXPECT_EQ(orgDomain("a.b.c.ck", l), "b.c.ck");  // *.ck: c.ck is a suffix
  EXPECT_EQ(orgDomain("a.www.ck", l), "www.ck");  // !www.ck: not a suffix
  EXPECT_EQ(orgDomain("x.city.kawasaki.jp", l), "city.kawasaki.jp");
  EXPECT_EQ(orgDomain("x.y.other.kawasaki.jp", l), "y.other.kawasaki.jp");
  EXPECT_EQ(orgDomain("me.github.io", l), "me.github.io");
  EXPECT_EQ(orgDomain("a.b.unlisted", l), "b.unlisted");  // default rule "*"
  EXPECT_EQ(orgDomain("co.uk", l), "co.uk");              // a suffix is its own answer
  EXPECT_EQ(orgDomain("com", l), "com");
  EXPECT_EQ(publicSuffix("a.b.example.co.uk", l), "co.uk");
}

TEST(PublicSuffixList, MissingFileIsNotFound) {
  auto l = loadPublicSuffixList("/nonexistent/public_suffix_list.dat");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, ErrorKind::kNotFound);
}

TEST(PublicSuffixList, RealListFromDebian) {
  const std::string path = MAILROOM_PUBLIC_SUFFIX_LIST;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no public suffix list at " << path;
  auto l = loadPublicSuffixList(path);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_GT(l->size(), 5000u);
  EXPECT_EQ(orgDomain("mail.example.co.uk", *l), "example.co.uk");
  EXPECT_EQ(orgDomain("a.b.example.com", *l), "example.com");
  EXPECT_EQ(orgDomain("user.github.io", *l), "user.github.io");
  EXPECT_EQ(orgDomain("www.ck", *l), "www.ck");
  EXPECT_EQ(orgDomain("x.city.kawasaki.jp", *l), "city.kawasaki.jp");
}

}  // namespace
}  // namespace mailroom::dmarc
