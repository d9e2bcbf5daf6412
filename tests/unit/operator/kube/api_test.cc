#include "operator/kube/api.h"

#include <gtest/gtest.h>

namespace mailroom::kube {
namespace {

TEST(Api, Paths) {
  ResourceRef md{"mailroom.dev", "v1alpha1", "maildomains"};
  EXPECT_EQ(md.collectionPath(""), "/apis/mailroom.dev/v1alpha1/maildomains");
  EXPECT_EQ(md.objectPath("ns", "a"), "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains/a");
  ResourceRef secrets{"", "v1", "secrets"};
  EXPECT_EQ(secrets.collectionPath("ns"), "/api/v1/namespaces/ns/secrets");
}

TEST(Api, ErrorsKeepCodeReasonAndKind) {
  std::string conflict =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409})";
  EXPECT_EQ(statusReason(conflict), "Conflict");
  Error e = apiError({409, conflict});
  EXPECT_EQ(e.kind, ErrorKind::kTemporary);
  EXPECT_EQ(e.message, "409 Conflict: the object has been modified");
  EXPECT_EQ(apiError({404, "{}"}).kind, ErrorKind::kNotFound);
  EXPECT_EQ(apiError({410, "{}"}).kind, ErrorKind::kNotFound);
  EXPECT_EQ(apiError({422, "{}"}).kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(apiError({403, "{}"}).kind, ErrorKind::kPermanent);
  EXPECT_EQ(apiError({503, "not json"}).kind, ErrorKind::kTemporary);
  EXPECT_EQ(apiError({429, ""}).kind, ErrorKind::kTemporary);
}

TEST(Api, ParsesWatchEvents) {
  auto ev = parseWatchEvent(
      R"({"type":"MODIFIED","object":{"kind":"MailDomain","metadata":{"name":"a","namespace":"ns","resourceVersion":"42"}}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->type, "MODIFIED");
  EXPECT_EQ(ev->object["metadata"]["name"], "a");
  EXPECT_EQ(ev->resourceVersion, "42");

  auto gone = parseWatchEvent(
      R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->errorCode, 410);

  auto bookmark = parseWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"MailDomain","metadata":{"resourceVersion":"99"}}})");
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(bookmark->resourceVersion, "99");
  EXPECT_FALSE(parseWatchEvent("{\"type\":\"ADDED\"}").ok());
  EXPECT_FALSE(parseWatchEvent("{broken").ok());
}

}  // namespace
}  // namespace mailroom::kube
