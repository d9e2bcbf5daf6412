#include "sidecar/spool/codec.h"

#include <array>
#include <cstring>
#include <optional>

namespace mailroom::spool {
namespace {

constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = makeCrcTable();

// The family bytes on disk (codec.h); never derived from the enum's order.
constexpr uint8_t kNoFamily = 0, kIpv4Byte = 1, kIpv6Byte = 2;

constexpr char kStoredMagic[4] = {'M', 'R', 'S', 'E'};
constexpr size_t kHeader = sizeof kStoredMagic + 1 + 4 + 4;  // magic, version, length, crc

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { putU32(out_, v); }
  void i32(int v) { putU32(out_, static_cast<uint32_t>(v)); }
  void u64(uint64_t v) { putU64(out_, v); }
  void time(TimePoint t) { putU64(out_, static_cast<uint64_t>(t.time_since_epoch().count())); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void family(std::optional<AddressFamily> f) {
    u8(!f ? kNoFamily : *f == AddressFamily::kIpv4 ? kIpv4Byte : kIpv6Byte);
  }
  void reply(const Reply& r) {
    i32(r.code);
    str(r.enhanced);
    str(r.text);
  }

 private:
  std::string& out_;
};

// Every read checks the remaining length; the first failure sticks and names the field.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return !error_; }
  const char* error() const { return error_ ? error_ : ""; }
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

  uint8_t u8(const char* what) {
    if (!need(1, what)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t u32(const char* what) {
    if (!need(4, what)) return 0;
    uint32_t v = getU32(in_.data() + pos_);
    pos_ += 4;
    return v;
  }
  int i32(const char* what) { return static_cast<int>(u32(what)); }
  uint64_t u64(const char* what) {
    if (!need(8, what)) return 0;
    uint64_t v = getU64(in_.data() + pos_);
    pos_ += 8;
    return v;
  }
  TimePoint time(const char* what) {
    return TimePoint(TimePoint::duration(static_cast<TimePoint::rep>(u64(what))));
  }
  bool boolean(const char* what) {
    uint8_t v = u8(what);
    if (v > 1) fail(what);
    return v == 1;
  }
  template <class E>
  E enumeration(uint8_t max, const char* what) {
    uint8_t v = u8(what);
    if (v > max) fail(what);
    return static_cast<E>(v);
  }
  std::optional<AddressFamily> family(const char* what) {
    switch (u8(what)) {
      case kNoFamily:
        return std::nullopt;
      case kIpv4Byte:
        return AddressFamily::kIpv4;
      case kIpv6Byte:
        return AddressFamily::kIpv6;
    }
    fail(what);
    return std::nullopt;
  }
  std::string str(const char* what) {
    uint32_t n = u32(what);
    if (!need(n, what)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items that each take at least `minItemBytes`: bounded by the input, so garbage
  // cannot make us allocate gigabytes.
  uint32_t count(size_t minItemBytes, const char* what) {
    uint32_t n = u32(what);
    if (ok() && n > remaining() / minItemBytes) fail(what);
    return ok() ? n : 0;
  }
  Reply reply(const char* what) {
    Reply r;
    r.code = i32(what);
    r.enhanced = str(what);
    r.text = str(what);
    return r;
  }
  void fail(const char* what) {
    if (!error_) error_ = what;
  }

 private:
  bool need(size_t n, const char* what) {
    if (error_) return false;
    if (remaining() < n) {
      fail(what);
      return false;
    }
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
};

void writeEnvelope(Writer& w, const Envelope& e) {
  w.str(e.id);
  w.str(e.mailFrom);
  w.str(e.idempotencyKey);
  w.time(e.acceptedAt);
  w.u64(e.size);
  w.u8(e.needsSmtpUtf8);
  w.u8(e.eightBit);
  w.str(e.fromDomain);
  w.str(e.messageId);
  w.u32(static_cast<uint32_t>(e.notes.size()));
  for (const auto& [k, v] : e.notes) {
    w.str(k);
    w.str(v);
  }
  w.u32(static_cast<uint32_t>(e.recipients.size()));
  for (const auto& r : e.recipients) {
    w.str(r.address);
    w.u8(static_cast<uint8_t>(r.state));
    w.reply(r.lastReply);
    w.time(r.nextAttempt);
    w.i32(r.attempts);
    w.str(r.mxHost);
    w.str(r.ip);
    w.str(r.sourceIp);
    w.family(r.family);
    w.str(r.summary);
    w.u32(static_cast<uint32_t>(r.history.size()));
    for (const auto& a : r.history) {
      w.time(a.at);
      w.str(a.mxHost);
      w.str(a.ip);
      w.str(a.sourceIp);
      w.family(a.family);
      w.reply(a.reply);
      w.str(a.outcome);
      w.str(a.note);
    }
  }
}

Envelope readEnvelope(Reader& in) {
  Envelope e;
  e.id = in.str("id");
  e.mailFrom = in.str("mailFrom");
  e.idempotencyKey = in.str("idempotencyKey");
  e.acceptedAt = in.time("acceptedAt");
  e.size = in.u64("size");
  e.needsSmtpUtf8 = in.boolean("needsSmtpUtf8");
  e.eightBit = in.boolean("eightBit");
  e.fromDomain = in.str("fromDomain");
  e.messageId = in.str("messageId");
  uint32_t notes = in.count(8, "notes");
  for (uint32_t i = 0; i < notes && in.ok(); ++i) {
    std::string k = in.str("note key");
    std::string v = in.str("note value");
    // Strictly increasing keys: the one order std::map writes, so the encoding stays canonical.
    if (!e.notes.empty() && !(e.notes.rbegin()->first < k)) in.fail("note keys out of order");
    e.notes.emplace_hint(e.notes.end(), std::move(k), std::move(v));
  }
  uint32_t recipients = in.count(4, "recipients");
  for (uint32_t i = 0; i < recipients && in.ok(); ++i) {
    Recipient r;
    r.address = in.str("recipient address");
    r.state = in.enumeration<RecipientState>(3, "recipient state");
    r.lastReply = in.reply("recipient lastReply");
    r.nextAttempt = in.time("recipient nextAttempt");
    r.attempts = in.i32("recipient attempts");
    r.mxHost = in.str("recipient mxHost");
    r.ip = in.str("recipient ip");
    r.sourceIp = in.str("recipient sourceIp");
    r.family = in.family("recipient family");
    r.summary = in.str("recipient summary");
    uint32_t history = in.count(8, "history");
    for (uint32_t j = 0; j < history && in.ok(); ++j) {
      Attempt a;
      a.at = in.time("attempt at");
      a.mxHost = in.str("attempt mxHost");
      a.ip = in.str("attempt ip");
      a.sourceIp = in.str("attempt sourceIp");
      a.family = in.family("attempt family");
      a.reply = in.reply("attempt reply");
      a.outcome = in.str("attempt outcome");
      a.note = in.str("attempt note");
      r.history.push_back(std::move(a));
    }
    e.recipients.push_back(std::move(r));
  }
  return e;
}

}  // namespace

namespace {
uint32_t crc32cTable(std::string_view data, uint32_t crc) {
  for (unsigned char c : data) crc = kCrcTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE 4.2 computes the same Castagnoli CRC in hardware, 8 bytes per instruction: every spooled
// message is checksummed on accept and on read, so the table loop showed in profiles.
__attribute__((target("sse4.2"))) uint32_t crc32cSse42(std::string_view data, uint32_t crc) {
  const char* p = data.data();
  size_t n = data.size();
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  crc = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) crc = __builtin_ia32_crc32qi(crc, static_cast<unsigned char>(*p));
  return crc;
}
#endif
}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
  crc = ~crc;
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return ~crc32cSse42(data, crc);
#endif
  return ~crc32cTable(data, crc);
}

void putU32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 4);
}
void putU64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
uint32_t getU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t getU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string encodeEnvelope(const Envelope& envelope) {
  std::string out;
  Writer w(out);
  writeEnvelope(w, envelope);
  return out;
}

Result<Envelope> decodeEnvelope(std::string_view bytes) {
  Reader in(bytes);
  Envelope e = readEnvelope(in);
  if (in.ok() && !in.done()) in.fail("trailing bytes");
  if (!in.ok()) return Error::invalidArgument(std::string("envelope: bad ") + in.error());
  return e;
}

std::string encodeStored(const StoredEnvelope& stored) {
  std::string body;
  Writer w(body);
  w.u64(stored.revision);
  w.u64(stored.messageSize);
  w.u32(stored.messageCrc);
  writeEnvelope(w, stored.envelope);
  std::string out(kStoredMagic, sizeof kStoredMagic);
  out.push_back(static_cast<char>(kStoredVersion));
  putU32(out, static_cast<uint32_t>(body.size()));
  putU32(out, crc32c(body));
  out += body;
  return out;
}

StoredBatch decodeStoredBatch(std::string_view bytes) {
  StoredBatch batch;
  std::string_view rest = bytes;
  while (rest.size() >= kHeader) {
    const uint64_t size = kHeader + uint64_t{getU32(rest.data() + 5)};
    if (size > rest.size()) break;
    auto stored = decodeStored(rest.substr(0, static_cast<size_t>(size)));
    if (!stored.ok()) break;
    batch.records.push_back(std::move(*stored));
    batch.offsets.push_back(bytes.size() - rest.size());
    rest.remove_prefix(static_cast<size_t>(size));
  }
  batch.validBytes = bytes.size() - rest.size();
  return batch;
}

Result<StoredEnvelope> decodeStored(std::string_view bytes) {
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kStoredMagic, sizeof kStoredMagic) != 0)
    return Error::invalidArgument("stored envelope: bad magic");
  if (static_cast<uint8_t>(bytes[4]) != kStoredVersion)
    return Error::invalidArgument("stored envelope: unknown version " +
                                  std::to_string(static_cast<uint8_t>(bytes[4])));
  const uint32_t length = getU32(bytes.data() + 5);
  const uint32_t crc = getU32(bytes.data() + 9);
  std::string_view body = bytes.substr(kHeader);
  if (body.size() != length)
    return Error::invalidArgument("stored envelope: length " + std::to_string(body.size()) +
                                  " != " + std::to_string(length) + " (torn write?)");
  if (crc32c(body) != crc) return Error::invalidArgument("stored envelope: checksum mismatch");
  Reader in(body);
  StoredEnvelope s;
  s.revision = in.u64("revision");
  s.messageSize = in.u64("messageSize");
  s.messageCrc = in.u32("messageCrc");
  s.envelope = readEnvelope(in);
  if (in.ok() && !in.done()) in.fail("trailing bytes");
  if (!in.ok()) return Error::invalidArgument(std::string("stored envelope: bad ") + in.error());
  return s;
}

}  // namespace mailroom::spool
