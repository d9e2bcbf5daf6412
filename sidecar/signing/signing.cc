#include "sidecar/signing/signing.h"

#include <fstream>
#include <sstream>

namespace mailroom::signing {
namespace {

bool coversDomain(const std::string& keyDomain, const std::string& fromDomain) {
  return fromDomain == keyDomain ||
         (fromDomain.size() > keyDomain.size() && fromDomain.ends_with("." + keyDomain));
}

}  // namespace

Result<MessageSigner::LoadedKey> MessageSigner::load(const sidecarconfig::DkimKey& key) {
  const std::string what =
      "DKIM key " + key.domain + " s=" + key.selector + " (" + key.keyFile + ")";
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(key.keyFile, ec);
  auto size = ec ? 0 : std::filesystem::file_size(key.keyFile, ec);
  std::ifstream in(key.keyFile);
  if (ec || !in) return Error::invalidArgument(what + ": cannot read the file");
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  auto parsed = text.find("-----BEGIN") != std::string::npos
                    ? dkim::PrivateKey::fromPem(text)
                    : dkim::PrivateKey::fromEd25519Seed(text);
  if (!parsed.ok()) return Error::invalidArgument(what + ": " + parsed.error().message);
  auto algorithm = dkim::parseAlgorithm(key.algorithm);
  if (!algorithm || *algorithm != parsed->algorithm())
    return Error::invalidArgument(what + ": the file holds a " +
                                  dkim::algorithmName(parsed->algorithm()) + " key, not " +
                                  key.algorithm);
  if (parsed->algorithm() == dkim::Algorithm::kRsaSha256 && parsed->bits() < dkim::kMinSignRsaBits)
    return Error::invalidArgument(what + ": RSA keys under " +
                                  std::to_string(dkim::kMinSignRsaBits) +
                                  " bits are not used for signing (RFC 8301)");
  LoadedKey loaded{key, std::make_shared<dkim::LocalSigner>(std::move(parsed.value())), mtime,
                   size};
  return loaded;
}

Result<void> MessageSigner::rebuild() {
  if (keys_.empty()) {
    signer_.reset();
    return {};
  }
  std::vector<dkim::SigningKeyConfig> configs;
  for (const auto& k : keys_) {
    dkim::SigningKeyConfig c;
    c.domain = k.config.domain;
    c.selector = k.config.selector;
    c.algorithm = *dkim::parseAlgorithm(k.config.algorithm);
    c.signer = k.signer;
    configs.push_back(std::move(c));
  }
  auto built = dkim::DkimSigner::create(std::move(configs));
  if (!built.ok()) return built.error();
  signer_ = std::make_shared<const dkim::DkimSigner>(std::move(built.value()));
  return {};
}

Result<std::unique_ptr<MessageSigner>> MessageSigner::create(const sidecarconfig::Dkim& config) {
  std::unique_ptr<MessageSigner> s(new MessageSigner());
  s->required_ = config.required;
  for (const auto& key : config.keys) {
    auto loaded = load(key);
    if (!loaded.ok()) return loaded.error();
    s->keys_.push_back(std::move(loaded.value()));
  }
  if (auto r = s->rebuild(); !r.ok()) return r.error();
  return s;
}

bool MessageSigner::hasKeyFor(const std::string& fromDomain) const {
  std::lock_guard lock(mu_);
  if (!signer_) return false;
  for (const auto& k : signer_->keys())
    if (coversDomain(k.domain, fromDomain)) return true;
  return false;
}

Result<Signed> MessageSigner::sign(const std::string& message, const std::string& fromDomain,
                                   std::chrono::system_clock::time_point now) const {
  std::shared_ptr<const dkim::DkimSigner> signer;
  bool required;
  {
    std::lock_guard lock(mu_);
    signer = signer_;
    required = required_;
  }
  std::string note;
  if (signer) {  // one note entry per key that covers the domain (as hasKeyFor decides)
    for (const auto& k : signer->keys()) {
      if (!coversDomain(k.domain, fromDomain)) continue;
      note += (note.empty() ? "signed: " : ", ") + std::string("d=") + k.domain +
              " s=" + k.selector + " (" + dkim::algorithmName(k.algorithm) + ")";
    }
  }
  if (note.empty()) {
    if (required)
      return Error::permanent("from: no DKIM key for " + fromDomain +
                              " and dkim.required is set; the message was not queued");
    return Signed{"", "unsigned: no DKIM key for " + fromDomain};
  }
  auto headers = signer->signatureHeaders(message, fromDomain, now);
  if (!headers.ok()) return headers.error();
  return Signed{std::move(headers.value()), std::move(note)};
}

std::vector<std::string> MessageSigner::reloadChangedKeys() {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems;
  bool changed = false;
  for (auto& k : keys_) {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(k.config.keyFile, ec);
    auto size = ec ? 0 : std::filesystem::file_size(k.config.keyFile, ec);
    if (!ec && mtime == k.mtime && size == k.size) continue;
    auto loaded = load(k.config);
    if (!loaded.ok()) {
      problems.push_back(loaded.error().message + "; the previous key stays in force");
      // Remember this version so the same broken file is reported once, not every poll.
      if (!ec) {
        k.mtime = mtime;
        k.size = size;
      }
      continue;
    }
    k = std::move(loaded.value());
    changed = true;
  }
  if (changed) {
    if (auto r = rebuild(); !r.ok()) problems.push_back(r.error().message);
  }
  return problems;
}

void MessageSigner::replace(MessageSigner&& other) {
  std::scoped_lock lock(mu_, other.mu_);
  required_ = other.required_;
  keys_ = std::move(other.keys_);
  signer_ = std::move(other.signer_);
}

}  // namespace mailroom::signing
