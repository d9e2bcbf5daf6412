// Where the shared DKIM test vectors live (/work/shared/testdata/dkim, see its SOURCE.md), and
// small helpers to read them. MAILROOM_DKIM_TESTDATA in the environment overrides the path.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::dkim::conformance {

inline std::filesystem::path testdataDir() {
  if (const char* env = std::getenv("MAILROOM_DKIM_TESTDATA")) return env;
  return MAILROOM_DKIM_TESTDATA_DEFAULT;
}

inline std::optional<std::string> readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<std::vector<std::string>> readTsv(const std::filesystem::path& p) {
  std::vector<std::vector<std::string>> rows;
  auto text = readFile(p);
  if (!text) return rows;
  size_t pos = 0;
  bool header = true;
  while (pos < text->size()) {
    size_t eol = text->find('\n', pos);
    if (eol == std::string::npos) eol = text->size();
    std::string line = text->substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cols;
    size_t c = 0;
    while (true) {
      size_t tab = line.find('\t', c);
      cols.push_back(line.substr(c, tab == std::string::npos ? std::string::npos : tab - c));
      if (tab == std::string::npos) break;
      c = tab + 1;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

// Loads every dns/<name>.txt of a vector folder into the fake resolver as a TXT record.
inline void loadDns(const std::filesystem::path& folder, mailroom::testing::FakeResolver& r) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder / "dns", ec)) {
    std::string name = e.path().filename().string();
    if (!name.ends_with(".txt")) continue;
    auto value = readFile(e.path());
    if (!value) continue;
    while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
    r.addTxt(name.substr(0, name.size() - 4), *value);
  }
}

}  // namespace mailroom::dkim::conformance
