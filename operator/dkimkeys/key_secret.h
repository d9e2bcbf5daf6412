// The Kubernetes Secrets of the DKIM keys (issue #9). One Secret per key holds its durable state:
// the private key (data private.pem, PKCS#8 PEM) and, in annotations, the selector it was made
// for, the name it is published under, its algorithm, its phase and the RFC 3339 times of its
// transitions. The Secret is the source of truth; status.dkimKeys mirrors it. Each is labelled
// for listing (app.kubernetes.io/managed-by=mailroom-operator, mailroom.dev/maildomain=<name>,
// mailroom.dev/dkim-key=true) and owned by its MailDomain (controller: true), so deleting the
// MailDomain lets the garbage collector take the keys.
//
// A second Secret per MailDomain, "<name>-dkim-active", is what signers mount: one file per
// active key ("<selector>.pem") and manifest.json:
//   {"keys": [{"domain": "example.com", "selector": "rsa2026-r1",
//              "configuredSelector": "rsa2026", "algorithm": "rsa-sha256",
//              "file": "rsa2026-r1.pem"}]}
// Only keys seen served by every authoritative server are ever in it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/meta.h"
#include "operator/dkimkeys/lifecycle.h"

namespace mailroom::dkimkeys {

using api::kManagedBy;
using api::kManagedByLabel;
inline constexpr const char* kMailDomainLabel = "mailroom.dev/maildomain";
inline constexpr const char* kDkimKeyLabel = "mailroom.dev/dkim-key";
inline constexpr const char* kDkimActiveLabel = "mailroom.dev/dkim-active";

inline constexpr const char* kSelectorAnnotation = "mailroom.dev/dkim-selector";
inline constexpr const char* kConfiguredAnnotation = "mailroom.dev/dkim-configured-selector";
inline constexpr const char* kAlgorithmAnnotation = "mailroom.dev/dkim-algorithm";
inline constexpr const char* kPhaseAnnotation = "mailroom.dev/dkim-phase";
inline constexpr const char* kCreatedAnnotation = "mailroom.dev/dkim-created-at";
inline constexpr const char* kPublishedAnnotation = "mailroom.dev/dkim-published-at";
inline constexpr const char* kActivatedAnnotation = "mailroom.dev/dkim-activated-at";
inline constexpr const char* kRetiringAnnotation = "mailroom.dev/dkim-retiring-at";
inline constexpr const char* kRevokedAnnotation = "mailroom.dev/dkim-revoked-at";
inline constexpr const char* kPrivateKeyFile = "private.pem";
inline constexpr const char* kManifestFile = "manifest.json";

// The MailDomain a Secret belongs to: its name and namespace, and the owner reference to it.
struct SecretOwner {
  std::string mailDomain, namespace_;
  api::OwnerReference ref;  // api::controllerRef(kApiVersion, "MailDomain", md.metadata)
};

struct KeySecret {
  std::string name;
  std::string resourceVersion;  // of the stored Secret ("" before it is created)
  KeyState key;                 // times at second precision (RFC 3339, as stored)
  std::string privatePem;
};

// "<mailDomain>-dkim-<selector>", shortened with a hash of the whole to stay within the 253
// characters of a Secret name.
std::string keySecretName(const std::string& mailDomain, const std::string& selector);
// "<mailDomain>-dkim-active", likewise.
std::string activeSecretName(const std::string& mailDomain);
// The mailroom.dev/maildomain label value: the name, or (over a label's 63 characters) a
// shortened name with a hash.
std::string mailDomainLabel(const std::string& mailDomain);
// The labelSelector that lists a MailDomain's key Secrets.
std::string keySecretSelector(const std::string& mailDomain);

// The v1 Secret (without resourceVersion).
api::Json renderKeySecret(const SecretOwner& owner, const KeySecret& secret);
// Strict: the annotations and private.pem must be present and consistent (the phase's times
// present, the algorithm that of the key); errors name the field. The key's bits and TXT value
// come from the private key itself.
Result<KeySecret> parseKeySecret(const api::Json& secret);

struct ActiveKey {
  std::string domain, selector, configuredSelector;
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  std::string privatePem;
};
// The data (file name -> content, not yet base64) of the active-keys Secret.
std::map<std::string, std::string> activeKeysData(const std::vector<ActiveKey>& keys);
api::Json renderActiveKeysSecret(const SecretOwner& owner, const std::vector<ActiveKey>& keys);
// The keys of a stored active-keys Secret (the inverse of renderActiveKeysSecret), read from its
// manifest and files; errors name the Secret and the entry.
Result<std::vector<ActiveKey>> parseActiveKeysSecret(const api::Json& secret);
// The data of a stored Secret, base64-decoded; errors name the key.
Result<std::map<std::string, std::string>> secretData(const api::Json& secret);

}  // namespace mailroom::dkimkeys
