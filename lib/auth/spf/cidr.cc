#include "lib/auth/spf/cidr.h"

#include <algorithm>
#include <array>

namespace mailroom::spf {
namespace {
template <size_t N>
bool prefixEqual(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 int prefix) {
  prefix = std::clamp(prefix, 0, static_cast<int>(N * 8));
  size_t full = static_cast<size_t>(prefix / 8);
  for (size_t i = 0; i < full; ++i) {
    if (a[i] != b[i]) return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}
}  // namespace

bool inNetwork(const dns::Address& ip, const dns::Address& network, int prefix) {
  if (ip.is_v4() && network.is_v4()) {
    return prefixEqual(ip.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  }
  if (ip.is_v6() && network.is_v6()) {
    return prefixEqual(ip.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
  }
  return false;
}

dns::Address unmapV4(const dns::Address& ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

}  // namespace mailroom::spf
