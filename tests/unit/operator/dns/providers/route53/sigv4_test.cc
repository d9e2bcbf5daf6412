// SigV4 against AWS's published test suite (testdata/sigv4_test_suite.txt names the source),
// including get-vanilla's intermediate canonical request and string to sign.
#include "operator/dns/providers/route53/sigv4.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mailroom::dnspub::route53 {
namespace {

const AwsCredentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kDate = "20150830T123600Z";

SigV4Request suiteRequest(std::string method, std::string path, std::string query) {
  return {std::move(method),
          std::move(path),
          std::move(query),
          {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}},
          ""};
}

TEST(Route53SigV4, GetVanillaIntermediateSteps) {
  auto r = suiteRequest("GET", "/", "");
  EXPECT_EQ(canonicalRequest(r),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(stringToSign(r, kDate, "us-east-1", "service"),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(authorization(r, kCreds, kDate, "us-east-1", "service"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(Route53SigV4, PublishedTestSuite) {
  std::ifstream in(std::string(ROUTE53_TESTDATA) + "/sigv4_test_suite.txt");
  ASSERT_TRUE(in) << "testdata missing";
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string part; std::getline(ss, part, '|');) f.push_back(part);
    ASSERT_EQ(f.size(), 6u) << line;
    auto r = suiteRequest(f[1], f[2], f[3]);
    if (!f[4].empty()) {
      auto colon = f[4].find(':');
      r.headers.emplace_back(f[4].substr(0, colon), f[4].substr(colon + 1));
    }
    EXPECT_EQ(signature(r, kCreds, kDate, "us-east-1", "service"), f[5]) << f[0];
    ++cases;
  }
  EXPECT_EQ(cases, 6);
}

TEST(Route53SigV4, HeaderValuesAreTrimmedAndNamesLowered) {
  auto a = suiteRequest("GET", "/", "");
  auto b = a;
  b.headers.emplace_back("My-Header", "  a   b  ");
  a.headers.emplace_back("my-header", "a b");
  EXPECT_EQ(canonicalRequest(a), canonicalRequest(b));
  EXPECT_EQ(signedHeaders(a), "host;my-header;x-amz-date");
  EXPECT_EQ(uriEncode("a b/c~"), "a%20b%2Fc~");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace mailroom::dnspub::route53
