#include "operator/api/v1alpha1/yaml.h"

#include <gtest/gtest.h>

namespace mailroom::api {
namespace {

TEST(Yaml, PlainScalarsAreTypedQuotedStayStrings) {
  auto docs = yamlDocumentsToJson(
      "a: 5\nb: '5'\nc: true\nd: ~\ne: 2.5\nf: 2001:db8::1\ng: -all\nh: \"true\"\ni: [1, x]\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ(docs->front(), Json::parse(R"({"a":5,"b":"5","c":true,"d":null,"e":2.5,
      "f":"2001:db8::1","g":"-all","h":"true","i":[1,"x"]})"));
}

TEST(Yaml, SeveralDocumentsAndJson) {
  auto docs = yamlDocumentsToJson("---\nkind: A\n---\n---\n{\"kind\": \"B\"}\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1]["kind"], "B");
}

TEST(Yaml, SyntaxErrorsAreInvalidArgument) {
  auto docs = yamlDocumentsToJson("a: [1, 2\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace mailroom::api
