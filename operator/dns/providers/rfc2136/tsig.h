// TSIG, secret key transaction authentication for DNS (RFC 8945), with HMAC through OpenSSL:
// signing a request (§4.3.3: the message, then the TSIG variables) and verifying the server's
// answers (§4.3.1: the request's MAC, the answer, the TSIG variables; §5.3.1: for the later
// messages of a zone transfer, the previous MAC, every message since, and the timers only).
// The time check (§5.2.3) uses the caller's clock. The key never appears in an error message.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "lib/common/result.h"
#include "operator/dns/providers/rfc2136/wire.h"

namespace mailroom::dnspub::rfc2136 {

enum class TsigAlgorithm { kHmacSha1, kHmacSha256, kHmacSha384, kHmacSha512 };
// "hmac-sha256" (RFC 8945 §6, the algorithm's name in the TSIG record).
std::string algorithmName(TsigAlgorithm a);

// TSIG error codes (RFC 8945 §4.3, §5.2).
inline constexpr uint16_t kBadSig = 16;
inline constexpr uint16_t kBadKey = 17;
inline constexpr uint16_t kBadTime = 18;
inline constexpr uint16_t kBadTrunc = 22;
// "BADKEY", for messages.
std::string tsigErrorName(uint16_t error);

struct TsigKey {
  std::string name;  // "mailroom-e2e"
  TsigAlgorithm algorithm = TsigAlgorithm::kHmacSha256;
  Bytes secret;  // decoded from base64
};

struct TsigRecord {  // the RDATA of a TSIG RR (RFC 8945 §4.2)
  std::string algorithm;
  uint64_t timeSigned = 0;  // 48 bits
  uint16_t fudge = 300;
  Bytes mac;
  uint16_t originalId = 0;
  uint16_t error = 0;
  Bytes other;
  bool operator==(const TsigRecord&) const = default;
};

Result<Bytes> encodeTsigRdata(const TsigRecord& t);
Result<TsigRecord> decodeTsigRdata(std::span<const uint8_t> rdata);

// Appends a TSIG record signing wire (an encoded message without one) at time now; returns the
// MAC, which the verifier of the answer needs.
Result<Bytes> signMessage(Bytes& wire, const TsigKey& key, uint64_t now, uint16_t fudge = 300);

// Verifies the answers to one signed request in order. Unsigned messages may come between
// signed ones in a zone transfer (at most 99 in a row, §5.3.1); finish() says whether the last
// one was signed, as it must be.
class TsigVerifier {
 public:
  TsigVerifier(const TsigKey& key, Bytes requestMac)
      : key_(key), priorMac_(std::move(requestMac)) {}
  // wire: the message as received; decoded: decode(wire). kPermanent with a TSIG error name
  // for a server that reports one (BADKEY, BADSIG, BADTIME: the server refused our key),
  // kInvalidArgument for an answer whose signature does not verify.
  Result<void> verify(std::span<const uint8_t> wire, const Message& decoded, uint64_t now);
  Result<void> finish() const;

 private:
  const TsigKey& key_;
  Bytes priorMac_;
  Bytes unsigned_;  // messages since the last signed one
  int unsignedCount_ = 0;
  bool first_ = true;
};

// The TSIG variables of §4.3.3 (timersOnly: §5.3.1's Time Signed and Fudge), for servers and
// test fakes that sign answers.
Result<Bytes> tsigVariables(const std::string& keyName, const TsigRecord& t, bool timersOnly);

// The message as it was before its TSIG record (at tsigOffset) was added: the ID restored to
// originalId, ARCOUNT one less (§4.3.2).
Bytes withoutTsig(std::span<const uint8_t> wire, size_t tsigOffset, uint16_t originalId);

// The MAC of data under key (exposed for the golden tests).
Bytes hmac(const TsigKey& key, std::span<const uint8_t> data);

}  // namespace mailroom::dnspub::rfc2136
