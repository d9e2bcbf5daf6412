#include "sidecar/configwatch/generation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace mailroom::configwatch {
namespace {

TEST(ContentHash, SixteenHexDigitsThatDependOnEveryPartAndItsBoundaries) {
  const auto h = contentHash({"config", "key"});
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(h, contentHash({"config", "key"}));
  EXPECT_NE(h, contentHash({"config", "kez"}));
  EXPECT_NE(h, contentHash({"config"}));
  EXPECT_NE(contentHash({"ab", "c"}), contentHash({"a", "bc"}));
  // SHA-256("3:abc") starts with these digits (a fixed vector: the hash is stable across builds).
  EXPECT_EQ(contentHash({"abc"}), "aab5f9ae99b2e38f");
}

TEST(Generation, ANewHashIsTheNextGenerationTheSameHashIsNot) {
  Generation g;
  g = advance(g, "aaaa");
  EXPECT_EQ(g, (Generation{1, "aaaa"}));
  EXPECT_EQ(advance(g, "aaaa"), g);
  g = advance(g, "bbbb");
  EXPECT_EQ(g, (Generation{2, "bbbb"}));
  EXPECT_EQ(advance(g, "aaaa"), (Generation{3, "aaaa"}));  // back to old content: still newer
}

TEST(SnapshotHash, ReadsKeyFilesAndNamesAMissingOne) {
  const auto dir = std::filesystem::temp_directory_path() / ("gen-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "k.pem") << "key-1";
  auto a = snapshotHash("cfg", {dir / "k.pem"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, contentHash({"cfg", "key-1"}));
  std::ofstream(dir / "k.pem") << "key-2";
  EXPECT_NE(*snapshotHash("cfg", {dir / "k.pem"}), *a);
  auto missing = snapshotHash("cfg", {dir / "gone.pem"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("gone.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailroom::configwatch
