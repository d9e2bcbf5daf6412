// Properties of the Publisher over many generated zones (fixed seed, so every run checks the
// same cases): whatever foreign records a zone starts with and whatever is wanted, a second sync
// changes nothing, the apex never ends up with two SPF records that were not there before, and
// deleting gives back the foreign records exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "operator/dns/providers/inmemory/inmemory.h"
#include "operator/dns/publisher.h"

namespace mailroom::dnspub {
namespace {

const Owner kOwner{"prod", "mail", "example-com"};
const std::string kZone = "example.com";
const std::string kSel = "s1._domainkey.example.com";
const std::string kDmarc = "_dmarc.example.com";

std::string nines() {
  std::string s = "v=spf1";
  for (int i = 0; i < 9; ++i) s += " include:i" + std::to_string(i) + ".example.net";
  return s + " -all";
}

const std::vector<std::string> kForeignSpf = {
    "",  // none
    "v=spf1 include:_spf.google.com ~all",
    "v=spf1 ip4:198.51.100.10 -all",  // shares a term with what we want
    "v=spf1 redirect=_spf.example.net",
    "v=spf1 a mx",
    "v=spf1 -ip4:192.0.2.66 exp=x.example.com ~all",
    nines(),  // a merge with any lookup term goes over 10
};

using Snapshot = std::map<std::string, std::multiset<std::string>>;

Snapshot snapshot(InMemoryProvider& dns) {
  Snapshot out;
  auto records = dns.records(kZone);
  for (const auto& rs : records.value())
    out[rs.name + " " + rs.type].insert(rs.values.begin(), rs.values.end());
  return out;
}

int spfCount(InMemoryProvider& dns) {
  auto v = dns.values(kZone, kZone);
  return static_cast<int>(std::count_if(
      v.begin(), v.end(), [](const std::string& s) { return s.rfind("v=spf1", 0) == 0; }));
}

template <class T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

std::vector<RecordSet> wanted(std::mt19937& rng) {
  std::string spf =
      "v=spf1 ip4:" + pick(rng, std::vector<std::string>{"198.51.100.10", "198.51.100.11"});
  if (rng() % 2) spf += " include:_spf.example.org";
  if (rng() % 3 == 0) spf += " mx";
  spf += pick(rng, std::vector<std::string>{" -all", " ~all"});
  std::vector<RecordSet> out = {{kZone, "TXT", 300, {spf}}};
  if (rng() % 2)
    out.push_back({kSel, "TXT", 300, {"v=DKIM1; k=ed25519; p=key" + std::to_string(rng() % 2)}});
  if (rng() % 2) out.push_back({kDmarc, "TXT", 300, {"v=DMARC1; p=reject"}});
  return out;
}

TEST(PublisherProperties, SecondSyncIsANoOpAndDeletionRestoresTheForeignZone) {
  std::mt19937 rng(20261205);
  for (int round = 0; round < 400; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    InMemoryProvider dns;
    dns.createZone(kZone);
    std::vector<std::string> apex;
    if (rng() % 2) apex.push_back("google-site-verification=abc");
    if (auto spf = pick(rng, kForeignSpf); !spf.empty()) apex.push_back(spf);
    if (!apex.empty()) dns.put(kZone, {kZone, "TXT", 3600, apex});
    if (rng() % 4 == 0) dns.put(kZone, {kSel, "TXT", 300, {"v=DKIM1; k=rsa; p=foreign"}});
    if (int d = rng() % 3; d > 0)
      dns.put(kZone, {kDmarc, "TXT", 300, {d == 1 ? "v=DMARC1; p=reject" : "v=DMARC1; p=none"}});
    const Snapshot foreign = snapshot(dns);
    const int foreignSpf = spfCount(dns);

    Publisher publisher(dns);
    for (int step = 0; step < 2; ++step) {
      auto want = wanted(rng);
      auto first = publisher.sync(kZone, want, kOwner);
      ASSERT_TRUE(first.ok()) << first.error().message;
      EXPECT_LE(spfCount(dns), std::max(foreignSpf, 1));
      auto second = publisher.sync(kZone, want, kOwner);
      ASSERT_TRUE(second.ok()) << second.error().message;
      EXPECT_TRUE(second->plan.changes.empty()) << formatPlan(second->plan);
    }
    auto gone = publisher.sync(kZone, {}, kOwner);
    ASSERT_TRUE(gone.ok()) << gone.error().message;
    EXPECT_EQ(snapshot(dns), foreign);
  }
}

}  // namespace
}  // namespace mailroom::dnspub
