// Every row of the shared DKIM manifests (rfc-manifest.tsv, generated/manifest.tsv) verifies
// exactly as the manifest says, with keys served by the map-backed FakeResolver from the
// vectors' dns/ folders. Failures must also fail for the documented reason.
#include <gtest/gtest.h>

#include <map>

#include "lib/auth/dkim/verify.h"
#include "tests/conformance/dkim/testdata.h"

namespace mailroom::dkim::conformance {
namespace {

struct Row {
  std::string folder;  // "" for rfc-manifest rows (paths relative to the data root)
  std::string file;
  size_t index = 0;
  std::string expected;
  std::string algorithm;
  std::string note;
  std::string missing;  // set when the manifests could not be read
};

std::vector<Row> loadRows() {
  std::vector<Row> rows;
  auto root = testdataDir();
  for (auto [manifest, folder] : {std::pair<std::string, std::string>{"rfc-manifest.tsv", ""},
                                  {"generated/manifest.tsv", "generated"}}) {
    auto tsv = readTsv(root / manifest);
    if (tsv.empty()) {
      Row r;
      r.missing = (root / manifest).string();
      r.file = manifest;
      rows.push_back(r);
      continue;
    }
    for (const auto& c : tsv) {
      if (c.size() < 7) continue;
      Row r;
      r.folder = folder;
      r.file = c[0];
      r.index = std::stoul(c[1]);
      r.expected = c[2];
      r.algorithm = c[4];
      r.note = c[6];
      rows.push_back(r);
    }
  }
  return rows;
}

// Failures whose reason the SOURCE.md documents.
const std::map<std::string, std::pair<Status, Reason>>& expectedFailures() {
  static const std::map<std::string, std::pair<Status, Reason>> m = {
      {"rfc6376/A.2-signed.two-spaces-body.eml", {Status::kFail, Reason::kBodyHashMismatch}},
      {"variants/n01-body-modified.eml", {Status::kFail, Reason::kBodyHashMismatch}},
      {"variants/n02-subject-modified.eml", {Status::kFail, Reason::kSignatureMismatch}},
      {"variants/n04-whitespace-reflowed.simple.eml", {Status::kFail, Reason::kBodyHashMismatch}},
      {"variants/n05-second-from-added.eml", {Status::kFail, Reason::kSignatureMismatch}},
      {"variants/n07-revoked-key.eml", {Status::kPermError, Reason::kKeyRevoked}},
      {"variants/n08-keytype-mismatch.eml", {Status::kPermError, Reason::kAlgorithmMismatch}},
      {"variants/n09-rsa-sha1.eml", {Status::kPermError, Reason::kUnsupportedAlgorithm}},
  };
  return m;
}

class Manifest : public ::testing::TestWithParam<Row> {};

TEST_P(Manifest, VerifiesAsExpected) {
  const Row& row = GetParam();
  if (!row.missing.empty()) GTEST_SKIP() << "DKIM test vectors not found: " << row.missing;
  auto folder = testdataDir() / row.folder;
  auto path = folder / row.file;
  auto message = readFile(path);
  if (!message) GTEST_SKIP() << "DKIM test vector not found: " << path;

  mailroom::testing::FakeResolver resolver;
  // The key folder is the top-level vector folder (rfc8463/, rfc6376/ or generated/).
  auto keyFolder = row.folder.empty()
                       ? testdataDir() / std::filesystem::path(row.file).begin()->string()
                       : folder;
  loadDns(keyFolder, resolver);
  VerifyOptions opt;
  opt.now = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));  // 2026-11
  auto verdicts = mailroom::testing::runTask(verifyMessage(resolver, *message, opt));
  ASSERT_GT(verdicts.size(), row.index) << path;
  const Verdict& v = verdicts[row.index];
  SCOPED_TRACE(row.note);
  if (row.expected == "pass") {
    EXPECT_EQ(v.status, Status::kPass) << path << ": " << statusName(v.status) << " ("
                                       << reasonName(v.reason) << ": " << v.detail << ")";
    if (row.algorithm == "rsa-sha256" && v.keyBits < 2048) {
      EXPECT_FALSE(v.warnings.empty()) << "weak RSA key must be flagged";
    }
  } else {
    EXPECT_NE(v.status, Status::kPass) << path;
    auto it = expectedFailures().find(row.file);
    if (it != expectedFailures().end()) {
      EXPECT_EQ(statusName(v.status), std::string(statusName(it->second.first))) << v.detail;
      EXPECT_EQ(reasonName(v.reason), std::string(reasonName(it->second.second))) << v.detail;
    }
  }
}

std::string rowName(const ::testing::TestParamInfo<Row>& info) {
  std::string n =
      info.param.folder + "_" + info.param.file + "_" + std::to_string(info.param.index);
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Dkim, Manifest, ::testing::ValuesIn(loadRows()), rowName);

}  // namespace
}  // namespace mailroom::dkim::conformance
