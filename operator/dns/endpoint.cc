#include "operator/dns/endpoint.h"

#include <algorithm>

namespace mailroom::dnspub {

std::string describe(const Owner& o) {
  return o.cluster + "/" + o.ns + "/" + o.name;
}

namespace {
Result<void> validatePart(std::string_view what, std::string_view v) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  if (v.empty() || v.size() > 253 || !std::all_of(v.begin(), v.end(), ok)) {
    return Error::invalidArgument("owner " + std::string(what) + " \"" + std::string(v) +
                                  "\" must be 1-253 characters of a-z, 0-9, '.' and '-'");
  }
  return {};
}
}  // namespace

Result<void> validateOwner(const Owner& o) {
  if (auto r = validatePart("cluster", o.cluster); !r) return r;
  if (auto r = validatePart("namespace", o.ns); !r) return r;
  return validatePart("name", o.name);
}

std::string normalizeName(std::string_view name) {
  std::string out(name);
  while (!out.empty() && out.back() == '.') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool inZone(std::string_view name, std::string_view zone) {
  if (name == zone) return true;
  return name.size() > zone.size() && name.ends_with(zone) &&
         name[name.size() - zone.size() - 1] == '.';
}

}  // namespace mailroom::dnspub
