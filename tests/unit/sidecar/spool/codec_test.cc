// The spool's on-disk encodings: exact round trips, and torn or garbage bytes rejected.
#include "sidecar/spool/codec.h"

#include <gtest/gtest.h>

#include "tests/unit/sidecar/spool/sample.h"

namespace mailroom::spool {
namespace {

using testing::sampleEnvelope;

TEST(Crc32cTest, KnownVector) {
  // RFC 3720 B.4 / the common check value of CRC-32C.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("6789", crc32c("12345")), 0xE3069283u);
  // Longer than a word, split off word boundaries: the 8-byte hardware path must agree.
  const std::string long1(1000, 'a'), long2 = "123456789" + long1;
  EXPECT_EQ(crc32c(long2), crc32c(long1, crc32c("123456789")));
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
}

TEST(CodecTest, EnvelopeRoundTrip) {
  Envelope e = sampleEnvelope();
  e.id = "00060a1b2c3d4e5f-00ab";
  std::string bytes = encodeEnvelope(e);
  auto back = decodeEnvelope(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, e);
  EXPECT_EQ(encodeEnvelope(*back), bytes);
}

TEST(CodecTest, DefaultEnvelopeRoundTrip) {
  auto back = decodeEnvelope(encodeEnvelope(Envelope{}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Envelope{});
}

// Spools written before lib/common's AddressFamily stored spool::Family {kUnspecified, kIpv4,
// kIpv6} as 0, 1, 2; existing spools must still decode to the same families.
TEST(CodecTest, FamilyBytesAreFixed) {
  auto encodeWith = [](std::optional<AddressFamily> f) {
    Envelope e;
    e.recipients.resize(1);
    e.recipients[0].family = f;
    return encodeEnvelope(e);
  };
  const std::string unset = encodeWith(std::nullopt), v4 = encodeWith(AddressFamily::kIpv4),
                    v6 = encodeWith(AddressFamily::kIpv6);
  ASSERT_EQ(unset.size(), v4.size());
  ASSERT_EQ(unset.size(), v6.size());
  size_t at = 0;
  while (at < unset.size() && unset[at] == v4[at]) ++at;
  ASSERT_LT(at, unset.size());
  EXPECT_EQ(unset[at], 0);
  EXPECT_EQ(v4[at], 1);
  EXPECT_EQ(v6[at], 2);
  std::string bad = v6;
  bad[at] = 3;
  EXPECT_FALSE(decodeEnvelope(bad).ok());
  auto back = decodeEnvelope(v6);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->recipients[0].family, AddressFamily::kIpv6);
}

TEST(CodecTest, StoredRoundTrip) {
  StoredEnvelope s{sampleEnvelope(), 77, 4096, 0xdeadbeef};
  std::string bytes = encodeStored(s);
  EXPECT_EQ(bytes.substr(0, 4), "MRSE");
  auto back = decodeStored(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(CodecTest, StoredRejectsEveryTruncation) {
  std::string bytes = encodeStored({sampleEnvelope(), 1, 2, 3});
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decodeStored(bytes.substr(0, n)).ok()) << "length " << n;
  EXPECT_FALSE(decodeStored(bytes + "x").ok());
}

TEST(CodecTest, StoredRejectsEveryFlippedByte) {
  std::string bytes = encodeStored({sampleEnvelope(), 1, 2, 3});
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_FALSE(decodeStored(bad).ok()) << "byte " << i;
  }
}

TEST(CodecTest, StoredRejectsUnknownVersion) {
  std::string bytes = encodeStored({sampleEnvelope(), 1, 2, 3});
  bytes[4] = 2;
  auto r = decodeStored(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("version"), std::string::npos);
}

TEST(CodecTest, RejectsNonCanonicalInput) {
  Envelope e = sampleEnvelope();
  std::string bytes = encodeEnvelope(e);
  // needsSmtpUtf8 is the byte after id, mailFrom, idempotencyKey, acceptedAt and size.
  size_t pos = 4 + 0 + 4 + e.mailFrom.size() + 4 + e.idempotencyKey.size() + 8 + 8;
  ASSERT_EQ(bytes[pos], 1);
  bytes[pos] = 2;  // a bool must be 0 or 1
  EXPECT_FALSE(decodeEnvelope(bytes).ok());
}

TEST(CodecTest, HugeCountsFailWithoutAllocating) {
  std::string bytes = encodeEnvelope(Envelope{});
  // The recipients count is the last u32: claim four billion recipients.
  bytes.replace(bytes.size() - 4, 4, "\xff\xff\xff\xff");
  auto r = decodeEnvelope(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("recipients"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::spool
