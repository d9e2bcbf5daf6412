#include <cctype>
#include <cstdio>

#include "lib/dns/resolver.h"

namespace mailroom::dns {

const char* statusName(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNxDomain: return "nxdomain";
    case Status::kNoData: return "nodata";
    case Status::kTempFail: return "tempfail";
    case Status::kTimeout: return "timeout";
    case Status::kBadName: return "badname";
  }
  return "unknown";
}

std::string reverseName(const Address& addr) {
  std::string out;
  if (addr.is_v4()) {
    auto b = addr.to_v4().to_bytes();
    for (int i = 3; i >= 0; --i) out += std::to_string(b[i]) + ".";
    return out + "in-addr.arpa";
  }
  static const char* kHex = "0123456789abcdef";
  auto b = addr.to_v6().to_bytes();
  for (int i = 15; i >= 0; --i) {
    out += kHex[b[i] & 0xf];
    out += '.';
    out += kHex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

std::string normalizeName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace mailroom::dns
