#include "operator/dns/providers/rfc2136/tsig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace mailroom::dnspub::rfc2136 {

namespace {

const EVP_MD* digestOf(TsigAlgorithm a) {
  switch (a) {
    case TsigAlgorithm::kHmacSha1:
      return EVP_sha1();
    case TsigAlgorithm::kHmacSha256:
      return EVP_sha256();
    case TsigAlgorithm::kHmacSha384:
      return EVP_sha384();
    case TsigAlgorithm::kHmacSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

void put48(Bytes& out, uint64_t v) {
  put16(out, static_cast<uint16_t>(v >> 32));
  put32(out, static_cast<uint32_t>(v));
}

// Names in TSIG variables are in canonical form: lower case, uncompressed (§4.3.3).
Result<void> appendCanonicalName(Bytes& out, const std::string& name) {
  std::string lower = name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return appendName(out, lower);
}

}  // namespace

Result<Bytes> tsigVariables(const std::string& keyName, const TsigRecord& t, bool timersOnly) {
  Bytes out;
  if (!timersOnly) {
    if (auto r = appendCanonicalName(out, keyName); !r) return r.error();
    put16(out, kClassAny);
    put32(out, 0);
    if (auto r = appendCanonicalName(out, t.algorithm); !r) return r.error();
  }
  put48(out, t.timeSigned);
  put16(out, t.fudge);
  if (!timersOnly) {
    put16(out, t.error);
    put16(out, static_cast<uint16_t>(t.other.size()));
    out.insert(out.end(), t.other.begin(), t.other.end());
  }
  return out;
}

namespace {
void appendMac(Bytes& out, const Bytes& mac) {
  put16(out, static_cast<uint16_t>(mac.size()));
  out.insert(out.end(), mac.begin(), mac.end());
}
}  // namespace

Bytes withoutTsig(std::span<const uint8_t> wire, size_t tsigOffset, uint16_t originalId) {
  Bytes out(wire.begin(), wire.begin() + static_cast<ptrdiff_t>(tsigOffset));
  out[0] = static_cast<uint8_t>(originalId >> 8);
  out[1] = static_cast<uint8_t>(originalId);
  uint16_t ar = static_cast<uint16_t>(out[10] << 8 | out[11]) - 1;
  out[10] = static_cast<uint8_t>(ar >> 8);
  out[11] = static_cast<uint8_t>(ar);
  return out;
}

std::string algorithmName(TsigAlgorithm a) {
  switch (a) {
    case TsigAlgorithm::kHmacSha1:
      return "hmac-sha1";
    case TsigAlgorithm::kHmacSha256:
      return "hmac-sha256";
    case TsigAlgorithm::kHmacSha384:
      return "hmac-sha384";
    case TsigAlgorithm::kHmacSha512:
      return "hmac-sha512";
  }
  return "hmac-sha256";
}

std::string tsigErrorName(uint16_t error) {
  switch (error) {
    case kBadSig:
      return "BADSIG";
    case kBadKey:
      return "BADKEY";
    case kBadTime:
      return "BADTIME";
    case kBadTrunc:
      return "BADTRUNC";
    default:
      return "TSIG error " + std::to_string(error);
  }
}

Bytes hmac(const TsigKey& key, std::span<const uint8_t> data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(digestOf(key.algorithm), key.secret.data(), static_cast<int>(key.secret.size()), data.data(),
       data.size(), out, &len);
  return Bytes(out, out + len);
}

Result<Bytes> encodeTsigRdata(const TsigRecord& t) {
  Bytes out;
  if (auto r = appendName(out, t.algorithm); !r) return r.error();
  if (t.mac.size() > 0xFFFF || t.other.size() > 0xFFFF)
    return Error::invalidArgument("TSIG field over 65535 octets");
  put48(out, t.timeSigned);
  put16(out, t.fudge);
  appendMac(out, t.mac);
  put16(out, t.originalId);
  put16(out, t.error);
  appendMac(out, t.other);
  return out;
}

Result<TsigRecord> decodeTsigRdata(std::span<const uint8_t> rdata) {
  // The algorithm name is never compressed (§4.2), so the RDATA parses on its own: wrap it in a
  // one-record message-free read by hand.
  TsigRecord t;
  size_t at = 0;
  std::string alg;
  while (true) {
    if (at >= rdata.size()) return Error::invalidArgument("truncated TSIG algorithm name");
    uint8_t len = rdata[at];
    if (len == 0) {
      ++at;
      break;
    }
    if (len > 63 || at + 1 + len > rdata.size())
      return Error::invalidArgument("bad TSIG algorithm name");
    if (!alg.empty()) alg += '.';
    for (size_t i = 0; i < len; ++i) alg += static_cast<char>(std::tolower(rdata[at + 1 + i]));
    at += 1 + len;
  }
  t.algorithm = alg;
  auto need = [&](size_t n) { return at + n <= rdata.size(); };
  auto u16 = [&]() {
    uint16_t v = static_cast<uint16_t>(rdata[at] << 8 | rdata[at + 1]);
    at += 2;
    return v;
  };
  if (!need(10)) return Error::invalidArgument("truncated TSIG record");
  t.timeSigned = uint64_t{u16()} << 32;
  t.timeSigned |= uint64_t{u16()} << 16;
  t.timeSigned |= u16();
  t.fudge = u16();
  size_t macLen = u16();
  if (!need(macLen + 6)) return Error::invalidArgument("truncated TSIG MAC");
  t.mac.assign(rdata.begin() + static_cast<ptrdiff_t>(at),
               rdata.begin() + static_cast<ptrdiff_t>(at + macLen));
  at += macLen;
  t.originalId = u16();
  t.error = u16();
  size_t otherLen = u16();
  if (at + otherLen != rdata.size()) return Error::invalidArgument("bad TSIG other data length");
  t.other.assign(rdata.begin() + static_cast<ptrdiff_t>(at), rdata.end());
  return t;
}

Result<Bytes> signMessage(Bytes& wire, const TsigKey& key, uint64_t now, uint16_t fudge) {
  if (wire.size() < 12) return Error::invalidArgument("not a DNS message");
  TsigRecord t{algorithmName(key.algorithm), now, fudge, {}, 0, 0, {}};
  t.originalId = static_cast<uint16_t>(wire[0] << 8 | wire[1]);
  auto vars = tsigVariables(key.name, t, false);
  if (!vars) return vars.error();
  Bytes digest = wire;
  digest.insert(digest.end(), vars->begin(), vars->end());
  t.mac = hmac(key, digest);
  auto rdata = encodeTsigRdata(t);
  if (!rdata) return rdata.error();
  Bytes rr;
  if (auto r = appendName(rr, key.name); !r) return r.error();
  put16(rr, kTypeTsig);
  put16(rr, kClassAny);
  put32(rr, 0);
  put16(rr, static_cast<uint16_t>(rdata->size()));
  rr.insert(rr.end(), rdata->begin(), rdata->end());
  wire.insert(wire.end(), rr.begin(), rr.end());
  uint16_t ar = static_cast<uint16_t>(wire[10] << 8 | wire[11]) + 1;
  wire[10] = static_cast<uint8_t>(ar >> 8);
  wire[11] = static_cast<uint8_t>(ar);
  return t.mac;
}

Result<void> TsigVerifier::verify(std::span<const uint8_t> wire, const Message& m, uint64_t now) {
  bool hasTsig = !m.additional.empty() && m.additional.back().type == kTypeTsig;
  if (!hasTsig) {
    if (first_) return Error::invalidArgument("the answer is not signed (no TSIG record)");
    if (++unsignedCount_ > 99)
      return Error::invalidArgument("over 99 unsigned messages in a row (RFC 8945 §5.3.1)");
    unsigned_.insert(unsigned_.end(), wire.begin(), wire.end());
    return {};
  }
  const auto& rr = m.additional.back();
  auto t = decodeTsigRdata(rr.rdata);
  if (!t) return Error::invalidArgument("unreadable TSIG record: " + t.error().message);
  if (t->error != 0) return Error::permanent(tsigErrorName(t->error));
  std::string wantAlg = algorithmName(key_.algorithm);
  if (rr.name != key_.name && rr.name + "." != key_.name && rr.name != key_.name + ".")
    return Error::invalidArgument("the answer is signed with another key (" + rr.name + ")");
  if (t->algorithm != wantAlg)
    return Error::invalidArgument("the answer is signed with " + t->algorithm);
  Bytes digest;
  appendMac(digest, priorMac_);
  digest.insert(digest.end(), unsigned_.begin(), unsigned_.end());
  Bytes stripped = withoutTsig(wire, m.lastAdditionalOffset, t->originalId);
  digest.insert(digest.end(), stripped.begin(), stripped.end());
  auto vars = tsigVariables(key_.name, *t, /*timersOnly=*/!first_);
  if (!vars) return vars.error();
  digest.insert(digest.end(), vars->begin(), vars->end());
  Bytes want = hmac(key_, digest);
  // Truncated MACs (§5.2.2.1) are not accepted: a full MAC is what BIND and PowerDNS send.
  if (t->mac.size() != want.size() || CRYPTO_memcmp(t->mac.data(), want.data(), want.size()) != 0)
    return Error::invalidArgument("the answer's TSIG signature does not verify");
  uint64_t skew = now > t->timeSigned ? now - t->timeSigned : t->timeSigned - now;
  if (skew > t->fudge)
    return Error::invalidArgument("the answer's TSIG time is " + std::to_string(skew) +
                                  " s off this machine's clock (fudge " + std::to_string(t->fudge) +
                                  " s)");
  priorMac_ = t->mac;
  unsigned_.clear();
  unsignedCount_ = 0;
  first_ = false;
  return {};
}

Result<void> TsigVerifier::finish() const {
  if (first_ || unsignedCount_ > 0)
    return Error::invalidArgument("the last message of the answer is not signed");
  return {};
}

}  // namespace mailroom::dnspub::rfc2136
