#include "operator/api/v1alpha1/codec.h"

#include <gtest/gtest.h>

namespace mailroom::api {
namespace {

struct Inner {
  std::string name;
  std::optional<int> size;
  bool operator==(const Inner&) const = default;
};
void decodeFields(FieldReader& r, Inner& v) {
  r.required("name", v.name);
  r.optional("size", v.size);
}
void encodeFields(FieldWriter& w, const Inner& v) {
  w.field("name", v.name);
  w.field("size", v.size);
}

struct Outer {
  std::vector<Inner> items;
  std::map<std::string, std::string> labels;
  bool flag = false;
  bool operator==(const Outer&) const = default;
};
void decodeFields(FieldReader& r, Outer& v) {
  r.optional("items", v.items);
  r.optional("labels", v.labels);
  r.optional("flag", v.flag);
}
void encodeFields(FieldWriter& w, const Outer& v) {
  w.field("items", v.items);
  w.field("labels", v.labels);
  w.field("flag", v.flag);
}

TEST(Codec, ErrorsNameEveryFieldPath) {
  auto r = decode<Outer>(
      Json::parse(
          R"({"items":[{"name":"a"},{"size":"big"},{"name":"c","extra":1}],"flag":"yes","nope":0})"),
      "spec");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("spec.items[1].name: required"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.items[1].size: must be an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.items[2].extra: unknown field"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.flag: must be a boolean"), std::string::npos) << m;
  EXPECT_NE(m.find("spec.nope: unknown field"), std::string::npos) << m;
}

TEST(Codec, NullMeansAbsent) {
  auto r = decode<Outer>(Json::parse(R"({"items":null,"flag":null})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, Outer{});
}

TEST(Codec, RoundTripOmitsAbsentValues) {
  Outer o{{{"a", 3}, {"b", std::nullopt}}, {{"k", "v"}}, true};
  Json j = encodeValue(o);
  EXPECT_EQ(j.dump(),
            R"({"flag":true,"items":[{"name":"a","size":3},{"name":"b"}],"labels":{"k":"v"}})");
  auto back = decode<Outer>(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, o);
}

TEST(Codec, IntegersOutOfRangeAreErrors) {
  auto r = decode<Inner>(Json::parse(R"({"name":"a","size":4294967296})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("size: out of range"), std::string::npos);
}

TEST(Codec, ParseJsonReportsSyntaxErrors) {
  auto r = parseJson("{\"a\":");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(parseJson("[1]").ok());
}

TEST(MergePatchBetween, NullsRemovedKeysRecursesAndReplacesLists) {
  Json from = Json::parse(R"({"a":1,"b":{"c":1,"d":2},"e":[1,2],"gone":true,"same":"x"})");
  Json to = Json::parse(R"({"a":2,"b":{"c":1},"e":[1],"same":"x","new":{}})");
  Json patch = mergePatchBetween(from, to);
  EXPECT_EQ(patch, Json::parse(R"({"a":2,"b":{"d":null},"e":[1],"gone":null,"new":{}})"));
  Json applied = from;
  applied.merge_patch(patch);
  EXPECT_EQ(applied, to);
  EXPECT_EQ(mergePatchBetween(to, to), Json::object());
}

}  // namespace
}  // namespace mailroom::api
