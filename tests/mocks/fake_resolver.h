// A map-backed Resolver for unit tests (like mox's dns/mock.go): no network, answers at once.
// Names that were never mentioned are NXDOMAIN; a name with records of another type is NODATA;
// fail() makes one (name, type) answer SERVFAIL or time out.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lib/dns/resolver.h"

namespace mailroom::testing {

class FakeResolver : public dns::Resolver {
 public:
  enum class Type { kMx, kA, kAaaa, kTxt, kPtr };

  void addMx(std::string_view name, uint16_t pref, std::string_view host);
  void addA(std::string_view name, std::string_view ip);     // "198.51.100.10"
  void addAaaa(std::string_view name, std::string_view ip);  // "2001:db8::10"
  void addTxt(std::string_view name, std::string txt);
  void addPtr(std::string_view ip, std::string_view name);
  // Marks a name as existing with no records (so lookups answer NODATA, not NXDOMAIN).
  void addName(std::string_view name);
  // Makes lookups of (name, type) fail with status (kTempFail, kTimeout, kBadName...).
  void fail(std::string_view name, Type type, dns::Status status);

  // Number of queries made, per "type name" key ("TXT example.com"), for lookup-limit tests.
  int queries(Type type, std::string_view name) const;
  int totalQueries() const { return total_; }

  Task<dns::Answer<dns::MxRecord>> mx(std::string name) override;
  Task<dns::Answer<dns::Address>> a(std::string name) override;
  Task<dns::Answer<dns::Address>> aaaa(std::string name) override;
  Task<dns::Answer<std::string>> txt(std::string name) override;
  Task<dns::Answer<std::string>> ptr(dns::Address addr) override;

 private:
  template <class T>
  dns::Answer<T> lookup(Type type, const std::string& name,
                        const std::map<std::string, std::vector<T>>& table);

  std::map<std::string, std::vector<dns::MxRecord>> mx_;
  std::map<std::string, std::vector<dns::Address>> a_, aaaa_;
  std::map<std::string, std::vector<std::string>> txt_, ptr_;
  std::set<std::string> names_;
  std::map<std::pair<Type, std::string>, dns::Status> failures_;
  std::map<std::pair<Type, std::string>, int> counts_;
  int total_ = 0;
};

// Runs a coroutine to completion on a private io_context and returns its value (tests only).
template <class T>
T runTask(Task<T> task) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.run();
  return std::move(*out);
}

}  // namespace mailroom::testing
