#include "operator/dns/registry.h"

#include <openssl/evp.h>

#include <algorithm>
#include <sstream>

namespace mailroom::dnspub {

namespace {

constexpr std::string_view kHeritage = "heritage=mailroom";

bool isHash(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string joinSet(const std::set<std::string>& s) {
  std::string out;
  for (const auto& h : s) out += (out.empty() ? "" : " ") + h;
  return out;
}

Result<std::set<std::string>> parseHashes(std::string_view key, std::string_view list) {
  std::set<std::string> out;
  std::istringstream in{std::string(list)};
  std::string h;
  while (in >> h) {
    if (!isHash(h))
      return Error::invalidArgument(std::string(key) + ": \"" + h + "\" is not a hash");
    out.insert(h);
  }
  return out;
}

std::vector<std::string_view> splitFields(std::string_view v) {
  std::vector<std::string_view> out;
  while (true) {
    auto comma = v.find(',');
    out.push_back(v.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string ownershipName(std::string_view name) {
  return std::string(kOwnershipLabel) + "." + std::string(name);
}

bool isOwnershipName(std::string_view name) {
  return name.starts_with(kOwnershipLabel) &&
         (name.size() == kOwnershipLabel.size() || name[kOwnershipLabel.size()] == '.');
}

std::string valueHash(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string spfTermHash(const spf::Term& t) {
  return valueHash(spf::renderTerm(t));
}

std::string renderOwnership(const Ownership& o) {
  std::string out(kHeritage);
  out += ",cluster=" + o.owner.cluster + ",namespace=" + o.owner.ns +
         ",maildomain=" + o.owner.name + ",type=" + o.type;
  if (!o.valueHashes.empty()) out += ",values=" + joinSet(o.valueHashes);
  if (!o.spfTermHashes.empty()) out += ",spf-terms=" + joinSet(o.spfTermHashes);
  return out;
}

Result<Ownership> parseOwnership(std::string_view value) {
  auto fields = splitFields(value);
  if (fields.front() != kHeritage) return Error::invalidArgument("not a Mailroom ownership value");
  Ownership o;
  o.type.clear();
  for (size_t i = 1; i < fields.size(); ++i) {
    auto eq = fields[i].find('=');
    if (eq == std::string_view::npos) {
      return Error::invalidArgument("field \"" + std::string(fields[i]) + "\" has no '='");
    }
    auto key = fields[i].substr(0, eq);
    auto val = fields[i].substr(eq + 1);
    if (key == "cluster") {
      o.owner.cluster = val;
    } else if (key == "namespace") {
      o.owner.ns = val;
    } else if (key == "maildomain") {
      o.owner.name = val;
    } else if (key == "type") {
      o.type = val;
    } else if (key == "values" || key == "spf-terms") {
      auto hashes = parseHashes(key, val);
      if (!hashes) return hashes.error();
      (key == "values" ? o.valueHashes : o.spfTermHashes) = std::move(hashes).value();
    } else {
      return Error::invalidArgument("unknown field \"" + std::string(key) + "\"");
    }
  }
  if (auto v = validateOwner(o.owner); !v) return v.error();
  if (o.type != "TXT") return Error::invalidArgument("type must be TXT");
  return o;
}

std::map<RecordKey, FoundOwnership> readOwnership(const std::vector<RecordSet>& current,
                                                  const Owner& owner) {
  std::map<RecordKey, FoundOwnership> out;
  for (const auto& rs : current) {
    if (rs.type != "TXT" || !isOwnershipName(rs.name) || rs.name.size() <= kOwnershipLabel.size())
      continue;
    std::string owned = rs.name.substr(kOwnershipLabel.size() + 1);
    for (const auto& v : rs.values) {
      auto o = parseOwnership(v);
      if (!o || o->owner != owner) continue;
      auto& found = out[RecordKey{owned, o->type}];
      found.ownership.owner = owner;
      found.ownership.type = o->type;
      found.ownership.valueHashes.merge(o->valueHashes);
      found.ownership.spfTermHashes.merge(o->spfTermHashes);
      found.rawValues.push_back(v);
    }
  }
  return out;
}

std::vector<std::string> ownedValues(const std::vector<std::string>& values,
                                     const Ownership& ownership) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (ownership.valueHashes.contains(valueHash(v))) out.push_back(v);
  }
  return out;
}

}  // namespace mailroom::dnspub
