#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "operator/controllers/events.h"

namespace mailroom::controllers {
namespace {

kube::Condition cond(std::string type, std::string status, std::string reason) {
  return {std::move(type), std::move(status), std::move(reason), "msg", 1, ""};
}

TEST(ConditionTransitions, OnlyFlipsAndNewConditions) {
  std::vector<kube::Condition> before{cond("Ready", "False", "A"),
                                      cond("RecordsComputed", "True", "B")};
  std::vector<kube::Condition> after{cond("Ready", "False", "Other"),  // same status: no event
                                     cond("RecordsComputed", "False", "InvalidSpec"),
                                     cond("DkimPublished", "True", "Published")};
  auto t = conditionTransitions(before, after);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].type, "RecordsComputed");
  EXPECT_EQ(t[1].type, "DkimPublished");
  EXPECT_TRUE(conditionTransitions(after, after).empty());  // steady state: no events
}

TEST(TransitionEvent, IsACoreV1EventAboutTheMailDomain) {
  ObservedMailDomain md;
  md.namespace_ = "mail";
  md.name = "example-com";
  md.uid = "1234-abcd";
  md.resourceVersion = "42";
  auto json = transitionEvent(md, cond("Ready", "False", "DNSProviderNotConfigured"),
                              std::chrono::system_clock::from_time_t(1795500000));
  auto e = YAML::Load(json);  // JSON is YAML
  EXPECT_EQ(e["kind"].as<std::string>(), "Event");
  EXPECT_EQ(e["metadata"]["generateName"].as<std::string>(), "example-com.");
  EXPECT_EQ(e["involvedObject"]["kind"].as<std::string>(), "MailDomain");
  EXPECT_EQ(e["involvedObject"]["uid"].as<std::string>(), "1234-abcd");
  EXPECT_EQ(e["reason"].as<std::string>(), "DNSProviderNotConfigured");
  EXPECT_EQ(e["type"].as<std::string>(), "Warning");
  EXPECT_EQ(e["message"].as<std::string>(), "Ready=False: msg");
  EXPECT_EQ(eventsPath("mail"), "/api/v1/namespaces/mail/events");
}

}  // namespace
}  // namespace mailroom::controllers
