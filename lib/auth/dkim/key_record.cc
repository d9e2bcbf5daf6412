#include "lib/auth/dkim/key_record.h"

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/tags.h"

namespace mailroom::dkim {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

Error tagError(std::string_view tag, std::string_view what) {
  return Error::invalidArgument("key record " + std::string(tag) + "=: " + std::string(what));
}

std::vector<std::string> splitColons(std::string_view v) {
  std::vector<std::string> out;
  std::string s = stripWhitespace(v);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(':', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.push_back(lower(s.substr(pos, c - pos)));
    pos = c + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ":") + s;
  return out;
}

}  // namespace

Result<KeyRecord> parseKeyRecord(std::string_view txt) {
  auto tags = parseTagList(txt);
  if (!tags) return Error::invalidArgument("key record: " + tags.error().message);
  KeyRecord rec;
  for (size_t i = 0; i < tags->size(); ++i) {
    const Tag& t = (*tags)[i];
    if (t.name == "v") {
      // §3.6.1: "If specified, this tag MUST be set to "DKIM1" ... and MUST be the first tag".
      if (i != 0) return tagError("v", "must be the first tag");
      if (t.value != "DKIM1") return tagError("v", "must be DKIM1, got '" + t.value + "'");
      rec.hasVersion = true;
    } else if (t.name == "k") {
      rec.keyType = lower(stripWhitespace(t.value));
      if (rec.keyType != "rsa" && rec.keyType != "ed25519")
        return tagError("k", "unknown key type '" + rec.keyType + "'");
    } else if (t.name == "h") {
      rec.hashes = splitColons(t.value);
    } else if (t.name == "s") {
      rec.services = splitColons(t.value);
    } else if (t.name == "n") {
      rec.notes = t.value;
    } else if (t.name == "t") {
      for (const auto& flag : splitColons(t.value)) {
        if (flag == "y") rec.testing = true;
        if (flag == "s") rec.strictIdentity = true;
      }
    } else if (t.name == "p") {
      std::string p = stripWhitespace(t.value);
      if (p.empty()) {
        rec.revoked = true;
        continue;
      }
      auto bytes = base64Decode(p);
      if (!bytes) return tagError("p", bytes.error().message);
      rec.publicKey = std::move(*bytes);
    }
  }
  if (!findTag(*tags, "p")) return tagError("p", "required tag missing");
  if (!rec.services.empty()) {
    bool email = false;
    for (const auto& s : rec.services) email = email || s == "*" || s == "email";
    if (!email) return tagError("s", "key not usable for email");
  }
  return rec;
}

Result<void> checkKeyAllows(const KeyRecord& record, Algorithm algorithm) {
  if (record.keyType != keyTypeName(algorithm))
    return tagError("k", "k=" + record.keyType + " does not match a=" + algorithmName(algorithm));
  if (!record.hashes.empty()) {
    bool sha256 = false;
    for (const auto& h : record.hashes) sha256 = sha256 || h == "sha256";
    if (!sha256) return tagError("h", "sha256 not among the allowed hashes");
  }
  return {};
}

std::string renderKeyRecord(const KeyRecord& record) {
  std::vector<std::pair<std::string, std::string>> tags;
  tags.emplace_back("v", "DKIM1");
  if (!record.hashes.empty()) tags.emplace_back("h", join(record.hashes));
  tags.emplace_back("k", record.keyType);
  if (!record.notes.empty()) tags.emplace_back("n", record.notes);
  if (!record.services.empty()) tags.emplace_back("s", join(record.services));
  std::vector<std::string> flags;
  if (record.testing) flags.push_back("y");
  if (record.strictIdentity) flags.push_back("s");
  if (!flags.empty()) tags.emplace_back("t", join(flags));
  tags.emplace_back("p", record.revoked ? std::string() : base64Encode(record.publicKey));
  return renderTagList(tags);
}

std::string renderKeyRecord(const PrivateKey& key) {
  KeyRecord rec;
  rec.keyType = keyTypeName(key.algorithm());
  rec.publicKey = key.publicKeyBytes();
  return renderKeyRecord(rec);
}

std::vector<std::string> splitTxtStrings(std::string_view value, size_t maxLen) {
  std::vector<std::string> out;
  if (maxLen == 0) maxLen = 255;
  for (size_t pos = 0; pos < value.size(); pos += maxLen)
    out.emplace_back(value.substr(pos, maxLen));
  if (out.empty()) out.emplace_back();
  return out;
}

std::string keyRecordName(std::string_view selector, std::string_view domain) {
  return std::string(selector) + "._domainkey." + std::string(domain);
}

std::string renderZoneTxt(const std::vector<std::string>& strings) {
  std::string out;
  for (const auto& s : strings) {
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

}  // namespace mailroom::dkim
