// A temporary directory under $TMPDIR (or /tmp), removed with everything in it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace mailroom::spool::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/spool-test-XXXXXX";
    if (char* p = ::mkdtemp(pattern.data())) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace mailroom::spool::testing
