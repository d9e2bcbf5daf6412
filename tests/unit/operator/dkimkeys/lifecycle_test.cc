// The pure key lifecycle: single steps table-driven, and whole rotations as scenarios with a fake
// clock (a World applies each plan the way the manager does and serves what the test says).
#include "operator/dkimkeys/lifecycle.h"

#include <gtest/gtest.h>

#include <random>

namespace mailroom::dkimkeys {
namespace {

using dkim::Algorithm;
using std::chrono::hours;
using std::chrono::minutes;
using Phase = KeyPhase;

const TimePoint kT0{std::chrono::seconds(1795000000)};
const auto kDay = hours(24);

SelectorSpec rsa(std::string name, std::optional<std::chrono::seconds> rotation = std::nullopt) {
  return {std::move(name), Algorithm::kRsaSha256, std::nullopt, rotation};
}

KeyState key(std::string selector, std::string configured, Phase phase, TimePoint created) {
  KeyState k;
  k.selector = std::move(selector);
  k.configuredSelector = std::move(configured);
  k.algorithm = Algorithm::kRsaSha256;
  k.bits = 2048;
  k.phase = phase;
  k.createdAt = created;
  k.txtValue = "v=DKIM1; k=rsa; p=" + k.selector;
  if (phase >= Phase::kPublished) k.publishedAt = created;
  if (phase >= Phase::kActive) k.activatedAt = created;
  if (phase >= Phase::kRetiring) k.retiringAt = created;
  if (phase >= Phase::kRevoked) k.revokedAt = created;
  return k;
}

// A MailDomain's keys over time: each step plans, applies the plan, and generates keys.
struct World {
  std::vector<SelectorSpec> selectors;
  std::vector<KeyState> keys;
  std::set<std::string> served;  // what the authoritative servers serve right now
  std::set<std::string> used;
  TimePoint now = kT0;
  LifecycleOptions options;

  LifecyclePlan step() {
    LifecycleInput in{selectors, keys, served, used, now, options};
    LifecyclePlan plan = planKeys(in);
    keys = applyPlan(keys, plan, now);
    for (const auto& g : plan.generate) {
      KeyState k = key(g.selector, g.configuredSelector, Phase::kPending, now);
      k.algorithm = g.algorithm;
      k.bits = g.algorithm == Algorithm::kRsaSha256 ? g.keySize.value_or(2048) : 0;
      keys.push_back(k);
      used.insert(g.selector);
    }
    return plan;
  }
  // The DNS provider published everything wanted and the servers answer with it.
  void serveAll() {
    for (const auto& k : keys) served.insert(k.selector);
  }
  const KeyState* find(const std::string& selector) const {
    for (const auto& k : keys)
      if (k.selector == selector) return &k;
    return nullptr;
  }
  Phase phase(const std::string& selector) const {
    auto* k = find(selector);
    EXPECT_NE(k, nullptr) << selector;
    return k ? k->phase : Phase::kPending;
  }
};

TEST(SuccessorSelector, DerivesUniqueValidNames) {
  struct Case {
    std::string name;
    std::set<std::string> used;
    std::string want;
  };
  std::string long63(63, 'a');
  const Case cases[] = {
      {"mr", {"mr"}, "mr-r1"},
      {"mr", {"mr", "mr-r1", "mr-r7"}, "mr-r8"},
      {"mr", {"mr-r3", "mrx-r9"}, "mr-r4"},
      {"mr", {"mr", "mr-r1x"}, "mr-r1"},
      {"a.b", {"a.b"}, "a.b-r1"},
      {long63, {long63}, std::string(60, 'a') + "-r1"},
      {std::string(59, 'a') + "-bcd", {}, std::string(59, 'a') + "-r1"},  // no "--"
      {std::string(60, 'a') + ".b", {}, std::string(60, 'a') + "-r1"},    // no ".-"
  };
  for (const auto& c : cases) {
    std::string got = successorSelector(c.name, c.used);
    EXPECT_EQ(got, c.want) << c.name;
    EXPECT_LE(got.size(), 63u);
  }
}

// Single steps from a given state.
TEST(PlanKeys, Table) {
  struct Case {
    std::string what;
    std::vector<SelectorSpec> selectors;
    std::vector<KeyState> keys;
    std::set<std::string> served;
    std::vector<KeyToGenerate> generate;
    std::vector<PhaseChange> changes;
    std::vector<std::string> remove;
    std::map<std::string, std::string> active;
  };
  const TimePoint t = kT0;
  const auto week = std::chrono::seconds(7 * kDay);
  const Case cases[] = {
      {"first key: generated under the configured name, nothing signs",
       {rsa("mr")},
       {},
       {},
       {{"mr", "mr", Algorithm::kRsaSha256, std::nullopt}},
       {},
       {},
       {}},
      {"pending and not served: wait, nothing signs",
       {rsa("mr")},
       {key("mr", "mr", Phase::kPending, t)},
       {},
       {},
       {},
       {},
       {}},
      {"pending and served: published and active at once",
       {rsa("mr")},
       {key("mr", "mr", Phase::kPending, t)},
       {"mr"},
       {},
       {{"mr", Phase::kPublished}, {"mr", Phase::kActive}},
       {},
       {{"mr", "mr"}}},
      {"active, no rotation: steady",
       {rsa("mr")},
       {key("mr", "mr", Phase::kActive, t - 400 * kDay)},
       {"mr"},
       {},
       {},
       {},
       {{"mr", "mr"}}},
      {"rotation due: a successor under a new name, the old key still signs",
       {rsa("mr", week)},
       {key("mr", "mr", Phase::kActive, t - week)},
       {"mr"},
       {{"mr-r1", "mr", Algorithm::kRsaSha256, std::nullopt}},
       {},
       {},
       {{"mr", "mr"}}},
      {"successor served: it signs, the old one retires in the same step",
       {rsa("mr", week)},
       {key("mr", "mr", Phase::kActive, t - week), key("mr-r1", "mr", Phase::kPending, t)},
       {"mr", "mr-r1"},
       {},
       {{"mr-r1", Phase::kPublished}, {"mr-r1", Phase::kActive}, {"mr", Phase::kRetiring}},
       {},
       {{"mr", "mr-r1"}}},
      {"algorithm changed: rotation to a new key, never in place",
       {{"mr", Algorithm::kEd25519Sha256, std::nullopt, std::nullopt}},
       {key("mr", "mr", Phase::kActive, t - kDay)},
       {"mr"},
       {{"mr-r1", "mr", Algorithm::kEd25519Sha256, std::nullopt}},
       {},
       {},
       {{"mr", "mr"}}},
      {"keySize changed: rotation to a new key",
       {{"mr", Algorithm::kRsaSha256, 3072, std::nullopt}},
       {key("mr", "mr", Phase::kActive, t - kDay)},
       {"mr"},
       {{"mr-r1", "mr", Algorithm::kRsaSha256, 3072}},
       {},
       {},
       {{"mr", "mr"}}},
      {"spec changed again while a successor waits: the stale one goes, a new one comes",
       {{"mr", Algorithm::kRsaSha256, 4096, std::nullopt}},
       {key("mr", "mr", Phase::kActive, t - kDay), key("mr-r1", "mr", Phase::kPending, t)},
       {"mr"},
       {{"mr-r2", "mr", Algorithm::kRsaSha256, 4096}},
       {},
       {"mr-r1"},
       {{"mr", "mr"}}},
      {"grace passed: revoked",
       {rsa("mr")},
       {key("mr-r1", "mr", Phase::kActive, t - 8 * kDay),
        key("mr", "mr", Phase::kRetiring, t - week)},
       {"mr", "mr-r1"},
       {},
       {{"mr", Phase::kRevoked}},
       {},
       {{"mr", "mr-r1"}}},
      {"revoked lifetime passed: deleted",
       {rsa("mr")},
       {key("mr-r1", "mr", Phase::kActive, t - 9 * kDay),
        key("mr", "mr", Phase::kRevoked, t - 2 * kDay)},
       {"mr", "mr-r1"},
       {},
       {},
       {"mr"},
       {{"mr", "mr-r1"}}},
      {"selector removed from the spec: the active key retires, an unused one goes",
       {rsa("ed")},
       {key("mr", "mr", Phase::kActive, t - kDay), key("mr-r1", "mr", Phase::kPending, t),
        key("ed", "ed", Phase::kActive, t - kDay)},
       {"mr", "ed"},
       {},
       {{"mr", Phase::kRetiring}},
       {"mr-r1"},
       {{"ed", "ed"}}},
      {"active Secret deleted by hand: a fresh name, nothing signs until it is served",
       {rsa("mr")},
       {key("mr-r1", "mr", Phase::kRetiring, t - kDay)},
       {"mr", "mr-r1"},
       {{"mr-r2", "mr", Algorithm::kRsaSha256, std::nullopt}},
       {},
       {},
       {}},
      {"two active keys (an interrupted switch): the older retires",
       {rsa("mr")},
       {key("mr", "mr", Phase::kActive, t - 2 * kDay),
        key("mr-r1", "mr", Phase::kActive, t - kDay)},
       {"mr", "mr-r1"},
       {},
       {{"mr", Phase::kRetiring}},
       {},
       {{"mr", "mr-r1"}}},
  };
  for (const auto& c : cases) {
    LifecycleInput in{c.selectors, c.keys, c.served, {}, t, {}};
    LifecyclePlan plan = planKeys(in);
    EXPECT_EQ(plan.generate, c.generate) << c.what;
    EXPECT_EQ(plan.changes, c.changes) << c.what;
    EXPECT_EQ(plan.remove, c.remove) << c.what;
    EXPECT_EQ(plan.active, c.active) << c.what;
  }
}

TEST(PlanKeys, RecordsWantedPerPhase) {
  LifecycleInput in{
      {rsa("mr")},
      {key("mr-r2", "mr", Phase::kPending, kT0), key("mr-r1", "mr", Phase::kActive, kT0 - kDay),
       key("mr", "mr", Phase::kRevoked, kT0 - kDay),
       key("old", "gone", Phase::kRetiring, kT0 - kDay)},
      {"mr-r1", "mr", "old"},
      {},
      kT0,
      {}};
  LifecyclePlan plan = planKeys(in);
  EXPECT_EQ(plan.records, (std::map<std::string, std::string>{{"mr", "v=DKIM1; p="},
                                                              {"mr-r1", "v=DKIM1; k=rsa; p=mr-r1"},
                                                              {"mr-r2", "v=DKIM1; k=rsa; p=mr-r2"},
                                                              {"old", "v=DKIM1; k=rsa; p=old"}}));
  EXPECT_EQ(plan.awaitingDns, std::vector<std::string>{"mr-r2"});
  // Next due: the revoked record's end (2 days) before the retiring key's grace (7 days).
  EXPECT_EQ(plan.nextDue, kT0 - kDay + hours(48));
}

TEST(PlanKeys, NamesUsedBeforeAreNeverReused) {
  // The only key's Secret was deleted; status still lists "mr" (cached in resolvers).
  LifecycleInput in{{rsa("mr")}, {}, {}, {"mr"}, kT0, {}};
  LifecyclePlan plan = planKeys(in);
  ASSERT_EQ(plan.generate.size(), 1u);
  EXPECT_EQ(plan.generate[0].selector, "mr-r1");
  // Another configured selector's name is not taken either.
  LifecycleInput two{
      {rsa("mr"), rsa("mr-r1")}, {key("mr", "mr", Phase::kActive, kT0 - kDay)}, {}, {}, kT0, {}};
  two.selectors[0].keySize = 3072;
  plan = planKeys(two);
  ASSERT_EQ(plan.generate.size(), 2u);
  EXPECT_EQ(plan.generate[0].selector, "mr-r2");
  EXPECT_EQ(plan.generate[1].selector, "mr-r1");  // the first key of "mr-r1": its own name
}

// The whole rotation of one selector over simulated weeks.
TEST(Lifecycle, FullRotationCycle) {
  World w;
  const auto period = std::chrono::seconds(30 * kDay);
  w.selectors = {rsa("mr", period)};

  auto plan = w.step();  // day 0: the first key
  ASSERT_EQ(plan.generate.size(), 1u);
  EXPECT_TRUE(plan.active.empty());
  w.now += minutes(1);
  plan = w.step();  // not served yet: still nothing signs
  EXPECT_EQ(w.phase("mr"), Phase::kPending);
  EXPECT_TRUE(plan.active.empty());
  EXPECT_EQ(plan.awaitingDns, std::vector<std::string>{"mr"});

  w.serveAll();
  w.now += minutes(1);
  plan = w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kActive);
  EXPECT_EQ(plan.active.at("mr"), "mr");
  EXPECT_EQ(w.find("mr")->publishedAt, w.now);
  EXPECT_EQ(plan.nextDue, w.now + period);

  w.now = *plan.nextDue;  // rotation due
  plan = w.step();
  ASSERT_EQ(plan.generate.size(), 1u);
  EXPECT_EQ(plan.generate[0].selector, "mr-r1");
  EXPECT_EQ(plan.active.at("mr"), "mr");  // the old key signs until the new one is served
  w.now += hours(1);
  plan = w.step();
  EXPECT_TRUE(plan.generate.empty());  // one successor at a time
  EXPECT_EQ(w.phase("mr-r1"), Phase::kPending);
  EXPECT_EQ(plan.active.at("mr"), "mr");

  w.serveAll();
  const TimePoint switchAt = w.now += minutes(5);
  plan = w.step();
  EXPECT_EQ(plan.active.at("mr"), "mr-r1");
  EXPECT_EQ(w.phase("mr"), Phase::kRetiring);
  EXPECT_EQ(w.find("mr")->retiringAt, switchAt);
  EXPECT_EQ(w.find("mr-r1")->activatedAt, switchAt);
  EXPECT_EQ(plan.records.at("mr"), w.find("mr")->txtValue);  // still verifiable
  EXPECT_EQ(plan.nextDue, switchAt + hours(24 * 7));

  w.now = switchAt + hours(24 * 7) - std::chrono::seconds(1);
  plan = w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kRetiring);
  EXPECT_TRUE(plan.changes.empty());
  w.now += std::chrono::seconds(1);
  plan = w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kRevoked);
  EXPECT_EQ(plan.records.at("mr"), kRevokedRecord);
  EXPECT_EQ(plan.nextDue, w.now + hours(48));

  w.now = *plan.nextDue;
  plan = w.step();
  EXPECT_EQ(plan.remove, std::vector<std::string>{"mr"});
  EXPECT_EQ(w.find("mr"), nullptr);
  EXPECT_FALSE(plan.records.count("mr"));
  EXPECT_EQ(plan.nextDue, switchAt + period);  // the next rotation

  w.now = *plan.nextDue;
  plan = w.step();
  ASSERT_EQ(plan.generate.size(), 1u);
  EXPECT_EQ(plan.generate[0].selector, "mr-r2");  // "mr" is free again but may be cached
}

TEST(Lifecycle, SteadyStateChangesNothing) {
  World w;
  w.selectors = {rsa("mr"), {"ed", Algorithm::kEd25519Sha256, std::nullopt, std::nullopt}};
  w.step();
  w.serveAll();
  w.step();
  for (int i = 0; i < 3; ++i) {
    w.now += kDay;
    auto plan = w.step();
    EXPECT_TRUE(plan.generate.empty() && plan.changes.empty() && plan.remove.empty());
    EXPECT_EQ(plan.active.size(), 2u);
    EXPECT_EQ(plan.nextDue, std::nullopt);
  }
}

TEST(Lifecycle, NeverSignsWithAKeyNotServedByEveryServer) {
  World w;
  w.selectors = {rsa("mr", std::chrono::seconds(kDay))};
  w.step();
  w.serveAll();
  w.step();
  w.now += kDay;
  w.step();  // successor mr-r1
  for (int i = 0; i < 10; ++i) {
    w.now += hours(1);
    auto plan = w.step();
    EXPECT_EQ(plan.active.at("mr"), "mr") << "hour " << i;
    EXPECT_EQ(w.phase("mr-r1"), Phase::kPending);
  }
}

TEST(Lifecycle, SecretDeletedByHandIsRegeneratedAndVerifiedFirst) {
  World w;
  w.selectors = {rsa("mr")};
  w.step();
  w.serveAll();
  w.step();
  w.keys.clear();  // kubectl delete secret
  w.now += hours(1);
  auto plan = w.step();
  ASSERT_EQ(plan.generate.size(), 1u);
  EXPECT_EQ(plan.generate[0].selector, "mr-r1");  // w.used remembers "mr" (status.dkimKeys)
  EXPECT_TRUE(plan.active.empty());
  w.served.insert("mr-r1");
  w.now += minutes(1);
  plan = w.step();
  EXPECT_EQ(plan.active.at("mr"), "mr-r1");
}

TEST(Lifecycle, RemovedSelectorRetiresRevokesAndDisappears) {
  World w;
  w.selectors = {rsa("mr")};
  w.step();
  w.serveAll();
  w.step();
  w.selectors.clear();
  w.now += hours(1);
  auto plan = w.step();
  EXPECT_TRUE(plan.active.empty());
  EXPECT_EQ(w.phase("mr"), Phase::kRetiring);
  EXPECT_TRUE(plan.generate.empty());
  w.now = *plan.nextDue;
  plan = w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kRevoked);
  w.now = *plan.nextDue;
  plan = w.step();
  EXPECT_TRUE(w.keys.empty());
  EXPECT_TRUE(plan.records.empty());
  EXPECT_EQ(plan.nextDue, std::nullopt);
}

TEST(Lifecycle, CustomGraceAndLifetime) {
  World w;
  w.options = {std::chrono::minutes(10), std::chrono::minutes(5)};
  w.selectors = {rsa("mr", std::chrono::minutes(30))};
  w.step();
  w.serveAll();
  w.step();
  w.now += minutes(30);
  w.step();
  w.serveAll();
  w.now += minutes(1);
  w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kRetiring);
  w.now += minutes(10);
  w.step();
  EXPECT_EQ(w.phase("mr"), Phase::kRevoked);
  w.now += minutes(5);
  w.step();
  EXPECT_EQ(w.find("mr"), nullptr);
}

// Random histories (publishing, time passing, spec edits, Secrets deleted by hand, records
// vanishing) against the rules the lifecycle exists for.
TEST(Lifecycle, RandomHistoriesKeepTheRules) {
  std::mt19937 rng(20261205);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int history = 0; history < 300; ++history) {
    World w;
    w.options = {hours(24 * (1 + pick(7))), hours(1 + pick(72))};
    w.selectors = {rsa("mr", std::chrono::seconds(hours(24 * (1 + pick(30)))))};
    std::set<std::string> everGenerated;
    for (int step = 0; step < 80; ++step) {
      switch (pick(8)) {
        case 0:
        case 1:
          w.serveAll();
          break;
        case 2:
          w.now += hours(pick(24 * 10));
          break;
        case 3:
          w.selectors[0].keySize = pick(2) ? std::optional<int>(3072) : std::nullopt;
          break;
        case 4:
          if (w.selectors.size() == 1) {
            w.selectors.push_back({"ed", Algorithm::kEd25519Sha256, std::nullopt, std::nullopt});
          } else {
            w.selectors.pop_back();
          }
          break;
        case 5:
          if (!w.keys.empty()) w.keys.erase(w.keys.begin() + pick(int(w.keys.size())));
          break;
        case 6:
          if (!w.served.empty())
            w.served.erase(std::next(w.served.begin(), pick(int(w.served.size()))));
          break;
        default:
          w.now += minutes(pick(120));
      }
      const std::set<std::string> servedNow = w.served;
      std::set<std::string> specNames;
      for (const auto& s : w.selectors) specNames.insert(s.name);
      LifecyclePlan plan = w.step();
      std::string where = "history " + std::to_string(history) + " step " + std::to_string(step);

      for (const auto& c : plan.changes)
        if (c.to == Phase::kActive) EXPECT_TRUE(servedNow.count(c.selector)) << where;
      for (const auto& g : plan.generate) {
        EXPECT_TRUE(everGenerated.insert(g.selector).second) << where << ": reused " << g.selector;
        EXPECT_LE(g.selector.size(), 63u) << where;
      }
      std::map<std::string, int> activePerSelector;
      for (const auto& k : w.keys) {
        if (k.phase == Phase::kActive) ++activePerSelector[k.configuredSelector];
        if (k.phase == Phase::kActive) EXPECT_TRUE(k.publishedAt.has_value()) << where;
        bool isNew = std::any_of(plan.generate.begin(), plan.generate.end(),
                                 [&](const KeyToGenerate& g) { return g.selector == k.selector; });
        if (isNew) continue;
        ASSERT_TRUE(plan.records.count(k.selector)) << where << ": no record for " << k.selector;
        EXPECT_EQ(plan.records.at(k.selector),
                  k.phase == Phase::kRevoked ? kRevokedRecord : k.txtValue)
            << where;
      }
      for (const auto& [sel, n] : activePerSelector) EXPECT_EQ(n, 1) << where << ": " << sel;
      for (const auto& [configured, sel] : plan.active) {
        EXPECT_TRUE(specNames.count(configured)) << where;
        ASSERT_NE(w.find(sel), nullptr) << where;
        EXPECT_EQ(w.find(sel)->phase, Phase::kActive) << where;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace mailroom::dkimkeys
