#include "lib/dns/wire.h"

#include <ares.h>

#include <algorithm>
#include <limits>

#include "lib/dns/resolver.h"

namespace mailroom::dns::wire {
namespace {

constexpr size_t kHeaderSize = 12;

uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Decodes a (possibly compressed) name at pos with c-ares and advances pos past it.
bool readName(const uint8_t* buf, size_t len, size_t& pos, std::string& out) {
  char* name = nullptr;
  long used = 0;
  if (pos >= len) return false;
  if (ares_expand_name(buf + pos, buf, static_cast<int>(len), &name, &used) != ARES_SUCCESS) {
    return false;
  }
  out = normalizeName(name);
  ares_free_string(name);
  pos += static_cast<size_t>(used);
  return pos <= len;
}

bool readRr(const uint8_t* buf, size_t len, size_t& pos, Rr& rr) {
  if (!readName(buf, len, pos, rr.name)) return false;
  if (len - pos < 10) return false;
  rr.type = get16(buf + pos);
  rr.ttl = get32(buf + pos + 4);
  // RFC 2181 §8: a TTL with the top bit set is treated as zero.
  if (rr.ttl > 0x7fffffffu) rr.ttl = 0;
  uint16_t rdlength = get16(buf + pos + 8);
  pos += 10;
  if (len - pos < rdlength) return false;
  size_t rdata = pos;
  if (rr.type == kTypeCname) {
    size_t p = rdata;
    if (!readName(buf, len, p, rr.target)) return false;
  } else if (rr.type == kTypeSoa) {
    size_t p = rdata;
    std::string mname, rname;
    if (!readName(buf, len, p, mname) || !readName(buf, len, p, rname)) return false;
    if (rdata + rdlength - p < 20) return false;
    rr.soaMinimum = get32(buf + p + 16);
  }
  pos = rdata + rdlength;
  return true;
}

}  // namespace

Result<Message> parse(const uint8_t* buf, size_t len) {
  if (buf == nullptr || len < kHeaderSize)
    return Error::permanent("DNS message shorter than header");
  Message m;
  m.truncated = (buf[2] & 0x02) != 0;
  m.rcode = buf[3] & 0x0f;
  uint16_t qd = get16(buf + 4), an = get16(buf + 6), ns = get16(buf + 8);
  size_t pos = kHeaderSize;
  for (uint16_t i = 0; i < qd; ++i) {
    std::string qname;
    if (!readName(buf, len, pos, qname) || len - pos < 4) {
      return Error::permanent("bad question section");
    }
    pos += 4;
  }
  for (uint16_t i = 0; i < an; ++i) {
    Rr rr;
    if (!readRr(buf, len, pos, rr)) return Error::permanent("bad answer section");
    m.answers.push_back(std::move(rr));
  }
  for (uint16_t i = 0; i < ns; ++i) {
    Rr rr;
    if (!readRr(buf, len, pos, rr)) return Error::permanent("bad authority section");
    m.authority.push_back(std::move(rr));
  }
  return m;
}

std::string chainEnd(const Message& m, const std::string& qname, int maxHops) {
  std::string name = normalizeName(qname);
  for (int hop = 0; hop < maxHops; ++hop) {
    auto it = std::find_if(m.answers.begin(), m.answers.end(),
                           [&](const Rr& rr) { return rr.type == kTypeCname && rr.name == name; });
    if (it == m.answers.end()) break;
    name = it->target;
  }
  return name;
}

uint32_t answerTtl(const Message& m, uint16_t type) {
  uint32_t ttl = std::numeric_limits<uint32_t>::max();
  bool any = false;
  for (const auto& rr : m.answers) {
    if (rr.type != type && rr.type != kTypeCname) continue;
    ttl = std::min(ttl, rr.ttl);
    any = true;
  }
  return any ? ttl : 0;
}

uint32_t negativeTtl(const Message& m) {
  for (const auto& rr : m.authority) {
    if (rr.type == kTypeSoa) return std::min(rr.ttl, rr.soaMinimum);
  }
  return 0;
}

}  // namespace mailroom::dns::wire
