// Reads the committed test keys and golden files of this folder.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace mailroom::dkim::testutil {

inline std::string readTestFile(const std::string& relative) {
  std::ifstream in(std::string(MAILROOM_DKIM_TEST_DIR) + "/" + relative, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace mailroom::dkim::testutil
