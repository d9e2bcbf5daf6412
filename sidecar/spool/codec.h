// The spool's on-disk encodings (pure functions; the format is described here, the files in
// spool.h).
//
// Envelope payload: fields in a fixed order, all integers fixed-width little-endian, so every
// value has exactly one encoding (decode -> encode gives the same bytes; the fuzzer checks it):
//   str  = u32 length, bytes            time = i64 system_clock ticks since the epoch
//   bool = u8 0|1                       enum = u8, range-checked
//   family = u8: 0 unset, 1 IPv4, 2 IPv6 (fixed: spools written before AddressFamily had
//            these values from spool::Family {kUnspecified, kIpv4, kIpv6})
//   Envelope  = str id, str mailFrom, str idempotencyKey, time acceptedAt, u64 size,
//               bool needsSmtpUtf8, bool eightBit, str fromDomain, str messageId,
//               u32 n, n x (str key, str value) [keys strictly increasing],
//               u32 n, n x Recipient
//   Recipient = str address, enum state, Reply lastReply, time nextAttempt, i32 attempts,
//               str mxHost, str ip, str sourceIp, enum family, str summary, u32 n, n x Attempt
//   Attempt   = time at, str mxHost, str ip, str sourceIp, enum family, Reply reply,
//               str outcome, str note
//   Reply     = i32 code, str enhanced, str text
//
// Stored envelope (the env/<id> file): "MRSE" u8 version(=1) u32 length u32 crc32c(body), then
// body = u64 revision, u64 messageSize, u32 messageCrc32c, Envelope payload. The checksum catches
// torn and garbage files; the revision orders the file against journal records on recovery.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"
#include "sidecar/spool/envelope.h"

namespace mailroom::spool {

// CRC-32C (Castagnoli), software table; `crc` continues a previous value.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

std::string encodeEnvelope(const Envelope& envelope);
Result<Envelope> decodeEnvelope(std::string_view bytes);  // invalid input: kInvalidArgument

struct StoredEnvelope {
  Envelope envelope;
  uint64_t revision = 0;     // spool-wide write counter: higher is newer
  uint64_t messageSize = 0;  // the message bytes, to verify msg/<id>
  uint32_t messageCrc = 0;
  bool operator==(const StoredEnvelope&) const = default;
};

inline constexpr uint8_t kStoredVersion = 1;
std::string encodeStored(const StoredEnvelope& stored);
Result<StoredEnvelope> decodeStored(std::string_view bytes);
// A final/ batch file: stored envelopes back to back. Decoding stops at the first record that is
// not whole and valid (a torn tail); validBytes says how far the good records reach.
struct StoredBatch {
  std::vector<StoredEnvelope> records;
  std::vector<size_t> offsets;  // where each record starts; its length runs to the next one
  size_t validBytes = 0;
};
StoredBatch decodeStoredBatch(std::string_view bytes);

// Little-endian fixed-width helpers shared with the journal.
void putU32(std::string& out, uint32_t v);
void putU64(std::string& out, uint64_t v);
uint32_t getU32(const char* p);
uint64_t getU64(const char* p);

}  // namespace mailroom::spool
