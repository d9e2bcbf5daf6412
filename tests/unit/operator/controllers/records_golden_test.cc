// Golden files: golden/<case>.yaml (a MailDomain) -> golden/<case>.txt (formatRecordsText of
// desiredRecords). An optional golden/<case>.keys lists "selector pem-file" pairs (files in
// tests/unit/lib/auth/dkim/testdata) whose public keys are known to the operator.
// MAILROOM_UPDATE_GOLDEN=1 rewrites the .txt files (review the diff before committing).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"
#include "operator/api/v1alpha1/yaml.h"
#include "operator/controllers/records.h"

namespace mailroom::controllers {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DkimRecords loadKeys(const fs::path& keysFile) {
  DkimRecords keys;
  if (!fs::exists(keysFile)) return keys;
  std::istringstream in(readFile(keysFile));
  std::string selector, pem;
  while (in >> selector >> pem) {
    fs::path path = fs::path(MAILROOM_DKIM_TESTDATA) / pem;
    auto key = dkim::PrivateKey::fromPem(readFile(path));
    EXPECT_TRUE(key.ok()) << path;
    if (key.ok()) keys.push_back({selector, selector, dkim::renderKeyRecord(*key)});
  }
  return keys;
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, RecordsMatch) {
  fs::path dir = MAILROOM_GOLDEN_DIR;
  fs::path input = dir / (GetParam() + ".yaml");
  fs::path expected = dir / (GetParam() + ".txt");
  if (!fs::exists(input)) GTEST_SKIP() << "missing " << input;
  auto docs = api::yamlDocumentsToJson(readFile(input));
  ASSERT_TRUE(docs.ok() && docs->size() == 1) << input;
  auto md = api::decode<api::MailDomain>(docs->front());
  ASSERT_TRUE(md.ok()) << md.error().message;
  std::string got =
      formatRecordsText(desiredRecords(md->spec, loadKeys(dir / (GetParam() + ".keys"))));
  if (std::getenv("MAILROOM_UPDATE_GOLDEN")) {
    std::ofstream(expected, std::ios::binary) << got;
  }
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected;
  EXPECT_EQ(got, readFile(expected));
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, testing::Values("example", "minimal", "strict-with-keys"));

}  // namespace
}  // namespace mailroom::controllers
