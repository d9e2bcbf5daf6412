// The DKIM key lifecycle as a pure function (issue #9): which keys to generate, which phase
// changes to record, which records to publish, which keys to delete and which key signs, from
// the spec's selectors, the keys that exist, what the zone's authoritative servers were seen
// serving, and the time. No I/O: the manager (manager.h) reads and writes the Secrets and asks
// the authoritative servers.
//
// A key's phases:
//   Pending    generated, its record wanted, not yet seen served by every authoritative server;
//   Published  seen served (publishedAt); a key passes through it into Active in the same step
//              when it is the newest key matching its selector's spec;
//   Active     the key its configured selector signs with (activatedAt); at most one per selector;
//   Retiring   replaced (retiringAt); its record stays published for the grace period so mail
//              signed before the switch and still in flight verifies;
//   Revoked    its record is "v=DKIM1; p=" (RFC 6376 §3.6.1: an empty p= revokes the key) for
//              the revoked-record lifetime, then the key and its record are deleted.
// The rule the lifecycle exists for: a key signs only after its record was seen served by the
// zone's authoritative servers, so a verifier can never be the first to look (mailcow #5519,
// postfix-relay #368).
//
// Selector names: the first key of a configured selector uses the configured name; every later
// key gets a fresh name "<name>-r<N>" that no key, status entry or configured selector uses, so a
// resolver can never hold a cached record of another key under the name a new key signs with.
// A key is never changed in place: a changed algorithm or keySize is a rotation to a new key.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/auth/dkim/types.h"
#include "operator/api/v1alpha1/maildomain.h"

namespace mailroom::dkimkeys {

using TimePoint = std::chrono::system_clock::time_point;

// The phases are the CRD's (status.dkimKeys[].phase), spelled by api::enumName.
using KeyPhase = api::DkimKeyPhase;

// The record a revoked key leaves at its name (RFC 6376 §3.6.1).
inline constexpr const char* kRevokedRecord = "v=DKIM1; p=";

struct LifecycleOptions {
  // How long a replaced key's record stays published after signing switched away from it: mail
  // signed just before the switch may sit in queues for days (RFC 5321 §4.5.4.1 suggests giving
  // up after 4-5 days), so 7 days lets it verify on arrival.
  std::chrono::seconds gracePeriod{std::chrono::hours(24 * 7)};
  // How long the revoked record ("p=" empty) stays before the name is deleted. 2 days: long
  // enough for resolvers to drop the old key from their caches (TTLs are minutes to a day) and
  // for late verifiers to get a definite "key revoked" (permerror) instead of the old key, short
  // enough not to leave clutter in the zone. After it the name answers NXDOMAIN, which verifiers
  // also treat as permerror, so nothing relies on the revoked record for longer.
  std::chrono::seconds revokedLifetime{std::chrono::hours(48)};
};

// One spec.dkim.selectors[] entry, as the lifecycle needs it.
struct SelectorSpec {
  std::string name;
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  std::optional<int> keySize;                    // RSA only; unset: 2048
  std::optional<std::chrono::seconds> rotation;  // unset: never rotated
  int rsaBits() const;                           // keySize or 2048; 0 for Ed25519
};

// One key, as its Secret records it.
struct KeyState {
  std::string selector;            // the name it is published under
  std::string configuredSelector;  // the spec entry it was made for
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  int bits = 0;  // RSA modulus size (0: not known / Ed25519)
  KeyPhase phase = KeyPhase::kPending;
  TimePoint createdAt;
  std::optional<TimePoint> publishedAt, activatedAt, retiringAt, revokedAt;
  std::string txtValue;  // the record while the key is not revoked
  bool operator==(const KeyState&) const = default;
};

struct LifecycleInput {
  std::vector<SelectorSpec> selectors;
  std::vector<KeyState> keys;
  // Selectors (actual names) seen served with their key's value by every authoritative server.
  std::set<std::string> served;
  // Names used before by keys that may no longer have a Secret (status.dkimKeys): never reused.
  std::set<std::string> usedSelectors;
  TimePoint now;
  LifecycleOptions options;
};

struct KeyToGenerate {
  std::string selector, configuredSelector;
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  std::optional<int> keySize;
  bool operator==(const KeyToGenerate&) const = default;
};

// A phase change of an existing key; the time it records is input.now.
struct PhaseChange {
  std::string selector;
  KeyPhase to = KeyPhase::kPending;
  bool operator==(const PhaseChange&) const = default;
};

struct LifecyclePlan {
  std::vector<KeyToGenerate> generate;
  std::vector<PhaseChange> changes;  // in order (a key may go Pending -> Published -> Active)
  std::vector<std::string> remove;   // keys (actual selectors) to delete with their records
  // Actual selector -> TXT value wanted at <selector>._domainkey, for the keys that remain
  // (new keys are not in it yet: their value exists once they are generated).
  std::map<std::string, std::string> records;
  // Configured selector -> actual selector of the key it signs with (absent: none yet).
  std::map<std::string, std::string> active;
  // Keys whose record is wanted and not yet seen served: ask the authoritative servers.
  std::vector<std::string> awaitingDns;
  // The earliest time a transition is due (grace or lifetime ending, a rotation); nullopt: none.
  std::optional<TimePoint> nextDue;
};

LifecyclePlan planKeys(const LifecycleInput& input);

// The keys after applying plan's changes and removals at now (what the manager writes back; the
// generated keys are added by the manager, which has their values).
std::vector<KeyState> applyPlan(std::vector<KeyState> keys, const LifecyclePlan& plan,
                                TimePoint now);

// "<name>-r<N>" with the smallest N > every N already used for name (and >= 1) whose result is
// not in used; the name part is shortened so the selector stays within 63 characters and a valid
// DNS label sequence.
std::string successorSelector(const std::string& name, const std::set<std::string>& used);

}  // namespace mailroom::dkimkeys
