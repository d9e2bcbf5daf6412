// DkimKeyManager: the I/O around the key lifecycle (lifecycle.h), called by the MailDomain
// controller once per reconcile. It re-reads the MailDomain's key Secrets (level-based: never
// the contents of an event), asks the zone's authoritative servers about the keys still
// Pending, runs the pure plan, and then writes what the plan says: new keys into new Secrets,
// phase changes into their Secrets' annotations, deleted keys' Secrets removed, and the
// "<name>-dkim-active" Secret signers mount (key_secret.h). In steady state it writes nothing.
//
// It returns what the controller needs: the DKIM records to publish (through operator/dns, with
// the other records of the domain), status.dkimKeys, and when to look again. Writes are ordered
// so that a crash between any two leaves a state the next reconcile repairs: a key's Secret
// exists before its record is asked for; a successor is marked Active before its predecessor
// Retiring (two Active keys: the plan retires the older); the active-keys Secret is written
// last, from the Secrets as written.
//
// Options (defaults; the lead wires flags):
//   lifecycle.gracePeriod      7 days  how long a replaced key's record stays published
//   lifecycle.revokedLifetime  2 days  how long the "p=" revoked record stays before deletion
//   pendingPoll                30 s    how soon to ask the authoritative servers again while a
//                                      key waits for its record to be served
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/maildomain.h"
#include "operator/dkimkeys/authoritative.h"
#include "operator/dkimkeys/keygen.h"
#include "operator/dkimkeys/lifecycle.h"
#include "operator/kube/api.h"

namespace mailroom::dkimkeys {

struct DkimManagerOptions {
  LifecycleOptions lifecycle;
  std::chrono::seconds pendingPoll{30};
};

struct DkimReconcileResult {
  // "<selector>._domainkey.<domain>" -> TXT value (one string; split into <= 255-byte strings
  // at publication).
  std::map<std::string, std::string> records;
  std::vector<api::DkimKeyStatus> keys;  // for status.dkimKeys, by creation time
  // Configured selector -> the selector of the key that signs (absent: none yet).
  std::map<std::string, std::string> active;
  // When to reconcile again for the keys' sake (nullopt: nothing is due).
  std::optional<std::chrono::system_clock::time_point> requeueAt;
  // Why a key is still waiting or a Secret was skipped, for a condition message or an Event:
  // an authoritative server that did not answer, a Secret that does not parse, a key that
  // could not be generated (keySize 1024).
  std::vector<std::string> problems;
  int writes = 0;  // API writes made (0 in steady state)
};

class DkimKeyManager {
 public:
  using Generator = std::function<Result<GeneratedKey>(dkim::Algorithm, std::optional<int>)>;

  DkimKeyManager(kube::Api& api, AuthoritativeChecker& checker, DkimManagerOptions options = {},
                 Generator generate = generateKey)
      : api_(api), checker_(checker), options_(options), generate_(std::move(generate)) {}

  // Errors: API failures (temporary: requeue with backoff) and a spec the lifecycle cannot
  // follow (invalid rotationPeriod). Authoritative-check failures are not errors: the key stays
  // Pending and the result says why.
  Result<DkimReconcileResult> reconcile(const api::MailDomain& md,
                                        std::chrono::system_clock::time_point now);

 private:
  kube::Api& api_;
  AuthoritativeChecker& checker_;
  DkimManagerOptions options_;
  Generator generate_;
};

// The Secrets path of a namespace ("/api/v1/namespaces/<ns>/secrets").
std::string secretsPath(const std::string& ns);

}  // namespace mailroom::dkimkeys
