// DKIM signing in the sidecar (RFC 6376, RFC 8463): the configured keys (dkim.keys in the
// config file; the operator mounts them from Secrets), chosen by the From domain, reloaded when
// a key file changes. A key file that fails to load keeps the previous key in force and the
// error is reported; a message whose From domain has no key goes out unsigned (and says so in
// its status) unless dkim.required is set, in which case Send refuses it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/auth/dkim/sign.h"
#include "lib/common/result.h"
#include "lib/sidecarconfig/config.h"

namespace mailroom::signing {

struct Signed {
  std::string headers;  // DKIM-Signature fields to prepend (CRLF-terminated), or ""
  std::string note;     // for the message status: "signed: d=example.com s=rsa1 (rsa-sha256)"
};

class MessageSigner {
 public:
  // Loads every key file; any failure is an error naming the key (start-up must not run with
  // a key silently missing).
  static Result<std::unique_ptr<MessageSigner>> create(const sidecarconfig::Dkim& config);

  // Thread-safe. Errors: dkim.required and no key for the domain (permanent), a signer failure.
  Result<Signed> sign(const std::string& message, const std::string& fromDomain,
                      std::chrono::system_clock::time_point now) const;

  // Whether sign() would sign for this From domain (a key for it or a parent domain): callers
  // use it to run the private-key operation off latency-sensitive threads. Thread-safe.
  bool hasKeyFor(const std::string& fromDomain) const;

  // Re-reads key files whose modification time or size changed. Returns one message per key
  // that failed to load (its previous key stays in force).
  std::vector<std::string> reloadChangedKeys();

  // Takes over another signer's keys and settings (config reload).
  void replace(MessageSigner&& other);

 private:
  struct LoadedKey {
    sidecarconfig::DkimKey config;
    std::shared_ptr<dkim::Signer> signer;
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
  };
  MessageSigner() = default;
  static Result<LoadedKey> load(const sidecarconfig::DkimKey& key);
  Result<void> rebuild();  // mu_ held

  mutable std::mutex mu_;
  bool required_ = false;
  std::vector<LoadedKey> keys_;
  std::shared_ptr<const dkim::DkimSigner> signer_;  // null when no keys
};

}  // namespace mailroom::signing
