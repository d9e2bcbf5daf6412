#include "operator/dkimkeys/key_secret.h"

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/keys.h"
#include "operator/dkimkeys/keygen.h"
#include "operator/kube/conditions.h"

namespace mailroom::dkimkeys {
namespace {

constexpr size_t kMaxSecretName = 253;
constexpr size_t kMaxLabelValue = 63;

std::string hexHash(const std::string& text, size_t chars) {
  static const char* kHex = "0123456789abcdef";
  std::string digest = dkim::sha256(text), out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out.substr(0, chars);
}

// text if it fits in max, else its start and a hash of all of it (still unique in practice, and
// ending in an alphanumeric character as names and label values must).
std::string fitted(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  std::string head = text.substr(0, max - 11);
  while (!head.empty() && (head.back() == '-' || head.back() == '.')) head.pop_back();
  return head + "-" + hexHash(text, 10);
}

api::ObjectMeta metaFor(const SecretOwner& owner, const std::string& name) {
  api::ObjectMeta m;
  m.name = name;
  m.namespace_ = owner.namespace_;
  m.labels = {{kManagedByLabel, kManagedBy}, {kMailDomainLabel, mailDomainLabel(owner.mailDomain)}};
  m.ownerReferences = {owner.ref};
  return m;
}

api::Json secretJson(const api::ObjectMeta& meta, const std::map<std::string, std::string>& data) {
  api::Json encoded = api::Json::object();
  for (const auto& [file, content] : data) encoded[file] = dkim::base64Encode(content);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", api::encodeValue(meta)},
          {"type", "Opaque"},
          {"data", encoded}};
}

void putTime(std::map<std::string, std::string>& a, const char* key,
             const std::optional<TimePoint>& t) {
  if (t) a[key] = kube::formatRfc3339(*t);
}

// Reads the annotations of a key Secret, collecting every problem with its field path.
class AnnotationReader {
 public:
  AnnotationReader(const std::map<std::string, std::string>& a, api::DecodeErrors& errors)
      : a_(a), errors_(errors) {}

  std::string required(const char* key) {
    auto it = a_.find(key);
    if (it == a_.end() || it->second.empty()) {
      errors_.add(path(key), "required");
      return {};
    }
    return it->second;
  }
  std::optional<TimePoint> time(const char* key, bool required) {
    auto it = a_.find(key);
    if (it == a_.end()) {
      if (required) errors_.add(path(key), "required in this phase");
      return std::nullopt;
    }
    auto t = kube::parseRfc3339(it->second);
    if (!t) errors_.add(path(key), "not an RFC 3339 time: \"" + it->second + "\"");
    return t;
  }
  template <class E>
  E enumValue(const char* key, E fallback) {
    std::string text = required(key);
    if (text.empty()) return fallback;
    auto v = api::parseEnum<E>(text);
    if (!v) errors_.add(path(key), "unknown value \"" + text + "\"");
    return v.value_or(fallback);
  }
  static std::string path(const std::string& key) {
    return "metadata.annotations[\"" + key + "\"]";
  }

 private:
  const std::map<std::string, std::string>& a_;
  api::DecodeErrors& errors_;
};

}  // namespace

std::string keySecretName(const std::string& mailDomain, const std::string& selector) {
  return fitted(mailDomain + "-dkim-" + selector, kMaxSecretName);
}

std::string activeSecretName(const std::string& mailDomain) {
  return fitted(mailDomain + "-dkim-active", kMaxSecretName);
}

std::string mailDomainLabel(const std::string& mailDomain) {
  return fitted(mailDomain, kMaxLabelValue);
}

std::string keySecretSelector(const std::string& mailDomain) {
  return std::string(kMailDomainLabel) + "=" + mailDomainLabel(mailDomain) + "," + kDkimKeyLabel +
         "=true";
}

api::Json renderKeySecret(const SecretOwner& owner, const KeySecret& secret) {
  const KeyState& k = secret.key;
  api::ObjectMeta meta = metaFor(owner, secret.name);
  meta.labels[kDkimKeyLabel] = "true";
  auto& a = meta.annotations;
  a[kSelectorAnnotation] = k.selector;
  a[kConfiguredAnnotation] = k.configuredSelector;
  a[kAlgorithmAnnotation] = api::enumName(k.algorithm);
  a[kPhaseAnnotation] = api::enumName(k.phase);
  putTime(a, kCreatedAnnotation, k.createdAt);
  putTime(a, kPublishedAnnotation, k.publishedAt);
  putTime(a, kActivatedAnnotation, k.activatedAt);
  putTime(a, kRetiringAnnotation, k.retiringAt);
  putTime(a, kRevokedAnnotation, k.revokedAt);
  return secretJson(meta, {{kPrivateKeyFile, secret.privatePem}});
}

Result<KeySecret> parseKeySecret(const api::Json& secret) {
  auto meta = api::decodeMeta(secret);
  if (!meta) return meta.error();
  api::DecodeErrors errors;
  AnnotationReader r(meta->annotations, errors);
  KeySecret out;
  out.name = meta->name;
  out.resourceVersion = meta->resourceVersion;
  KeyState& k = out.key;
  k.selector = r.required(kSelectorAnnotation);
  k.configuredSelector = r.required(kConfiguredAnnotation);
  k.algorithm = r.enumValue(kAlgorithmAnnotation, dkim::Algorithm::kRsaSha256);
  k.phase = r.enumValue(kPhaseAnnotation, KeyPhase::kPending);
  k.createdAt = r.time(kCreatedAnnotation, true).value_or(TimePoint{});
  k.publishedAt = r.time(kPublishedAnnotation, k.phase >= KeyPhase::kPublished);
  k.activatedAt = r.time(kActivatedAnnotation, k.phase >= KeyPhase::kActive);
  k.retiringAt = r.time(kRetiringAnnotation, k.phase >= KeyPhase::kRetiring);
  k.revokedAt = r.time(kRevokedAnnotation, k.phase >= KeyPhase::kRevoked);

  auto data = secretData(secret);
  if (!data) {
    errors.add("data", data.error().message);
  } else if (auto pem = data->find(kPrivateKeyFile); pem == data->end()) {
    errors.add("data[\"private.pem\"]", "required");
  } else if (auto key = describeKey(pem->second); !key) {
    errors.add("data[\"private.pem\"]", key.error().message);
  } else {
    out.privatePem = key->privatePem;
    k.bits = key->algorithm == dkim::Algorithm::kRsaSha256 ? key->bits : 0;
    k.txtValue = key->txtValue;
    if (key->algorithm != k.algorithm)
      errors.add("data[\"private.pem\"]", std::string("a ") + api::enumName(key->algorithm) +
                                              " key, but the annotation says " +
                                              api::enumName(k.algorithm));
  }
  if (!errors.empty()) {
    Error e = errors.error();
    return Error::invalidArgument("Secret " + meta->name + ": " + e.message);
  }
  return out;
}

std::map<std::string, std::string> activeKeysData(const std::vector<ActiveKey>& keys) {
  std::map<std::string, std::string> data;
  api::Json manifest = {{"keys", api::Json::array()}};
  for (const auto& k : keys) {
    std::string file = k.selector + ".pem";
    data[file] = k.privatePem;
    manifest["keys"].push_back({{"domain", k.domain},
                                {"selector", k.selector},
                                {"configuredSelector", k.configuredSelector},
                                {"algorithm", api::enumName(k.algorithm)},
                                {"file", file}});
  }
  data[kManifestFile] = manifest.dump(2) + "\n";
  return data;
}

api::Json renderActiveKeysSecret(const SecretOwner& owner, const std::vector<ActiveKey>& keys) {
  api::ObjectMeta meta = metaFor(owner, activeSecretName(owner.mailDomain));
  meta.labels[kDkimActiveLabel] = "true";
  return secretJson(meta, activeKeysData(keys));
}

namespace {

struct ManifestEntry {
  std::string domain, selector, configuredSelector, file;
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
};
void decodeFields(api::FieldReader& r, ManifestEntry& e) {
  r.required("domain", e.domain);
  r.required("selector", e.selector);
  r.optional("configuredSelector", e.configuredSelector);
  r.required("algorithm", e.algorithm);
  r.required("file", e.file);
}
void encodeFields(api::FieldWriter& w, const ManifestEntry& e) {
  w.field("domain", e.domain);
  w.field("selector", e.selector);
  w.field("configuredSelector", e.configuredSelector);
  w.field("algorithm", e.algorithm);
  w.field("file", e.file);
}
struct Manifest {
  std::vector<ManifestEntry> keys;
};
void decodeFields(api::FieldReader& r, Manifest& m) {
  r.optional("keys", m.keys);
}
void encodeFields(api::FieldWriter& w, const Manifest& m) {
  w.field("keys", m.keys);
}

}  // namespace

Result<std::vector<ActiveKey>> parseActiveKeysSecret(const api::Json& secret) {
  auto meta = api::decodeMeta(secret);
  const std::string name = meta ? meta->name : std::string("(unnamed)");
  auto data = secretData(secret);
  if (!data) return Error::invalidArgument("Secret " + name + ": " + data.error().message);
  auto it = data->find(kManifestFile);
  if (it == data->end()) return Error::invalidArgument("Secret " + name + ": no manifest.json");
  auto json = api::parseJson(it->second);
  if (!json)
    return Error::invalidArgument("Secret " + name + ": manifest.json: " + json.error().message);
  auto manifest = api::decode<Manifest>(*json, "manifest.json");
  if (!manifest) return Error::invalidArgument("Secret " + name + ": " + manifest.error().message);
  std::vector<ActiveKey> out;
  for (const auto& e : manifest->keys) {
    auto pem = data->find(e.file);
    if (pem == data->end())
      return Error::invalidArgument("Secret " + name + ": manifest names " + e.file +
                                    ", which is not in the Secret");
    out.push_back({e.domain, e.selector, e.configuredSelector, e.algorithm, pem->second});
  }
  return out;
}

Result<std::map<std::string, std::string>> secretData(const api::Json& secret) {
  std::map<std::string, std::string> out;
  auto it = secret.find("data");
  if (it == secret.end() || it->is_null()) return out;
  if (!it->is_object()) return Error::invalidArgument("data: must be an object");
  for (auto item = it->begin(); item != it->end(); ++item) {
    if (!item->is_string())
      return Error::invalidArgument("data[\"" + item.key() + "\"]: must be a string");
    auto bytes = dkim::base64Decode(item->get<std::string>());
    if (!bytes) return Error::invalidArgument("data[\"" + item.key() + "\"]: not base64");
    out[item.key()] = std::move(*bytes);
  }
  return out;
}

}  // namespace mailroom::dkimkeys
