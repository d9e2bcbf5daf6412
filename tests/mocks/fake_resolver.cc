#include "tests/mocks/fake_resolver.h"

namespace mailroom::testing {
namespace {
// Every suffix of a name exists too (an empty non-terminal answers NODATA, RFC 8020).
void addWithParents(std::set<std::string>& names, const std::string& name) {
  std::string n = name;
  while (!n.empty()) {
    names.insert(n);
    auto dot = n.find('.');
    if (dot == std::string::npos) break;
    n = n.substr(dot + 1);
  }
}
}  // namespace

void FakeResolver::addMx(std::string_view name, uint16_t pref, std::string_view host) {
  auto n = dns::normalizeName(name);
  addWithParents(names_, n);
  mx_[n].push_back({pref, dns::normalizeName(host)});
}
void FakeResolver::addA(std::string_view name, std::string_view ip) {
  auto n = dns::normalizeName(name);
  addWithParents(names_, n);
  a_[n].push_back(asio::ip::make_address(ip));
}
void FakeResolver::addAaaa(std::string_view name, std::string_view ip) {
  auto n = dns::normalizeName(name);
  addWithParents(names_, n);
  aaaa_[n].push_back(asio::ip::make_address(ip));
}
void FakeResolver::addTxt(std::string_view name, std::string txt) {
  auto n = dns::normalizeName(name);
  addWithParents(names_, n);
  txt_[n].push_back(std::move(txt));
}
void FakeResolver::addPtr(std::string_view ip, std::string_view name) {
  auto n = dns::reverseName(asio::ip::make_address(ip));
  addWithParents(names_, n);
  ptr_[n].push_back(dns::normalizeName(name));
}
void FakeResolver::addName(std::string_view name) { addWithParents(names_, dns::normalizeName(name)); }
void FakeResolver::fail(std::string_view name, Type type, dns::Status status) {
  failures_[{type, dns::normalizeName(name)}] = status;
}
int FakeResolver::queries(Type type, std::string_view name) const {
  auto it = counts_.find({type, dns::normalizeName(name)});
  return it == counts_.end() ? 0 : it->second;
}

template <class T>
dns::Answer<T> FakeResolver::lookup(Type type, const std::string& raw,
                                    const std::map<std::string, std::vector<T>>& table) {
  auto name = dns::normalizeName(raw);
  ++total_;
  ++counts_[{type, name}];
  dns::Answer<T> out;
  out.ttl = 300;
  if (auto f = failures_.find({type, name}); f != failures_.end()) {
    out.status = f->second;
    out.detail = std::string("fake failure: ") + dns::statusName(f->second);
    return out;
  }
  if (auto it = table.find(name); it != table.end()) {
    out.status = dns::Status::kOk;
    out.records = it->second;
    return out;
  }
  out.status = names_.count(name) ? dns::Status::kNoData : dns::Status::kNxDomain;
  return out;
}

Task<dns::Answer<dns::MxRecord>> FakeResolver::mx(std::string name) {
  co_return lookup(Type::kMx, name, mx_);
}
Task<dns::Answer<dns::Address>> FakeResolver::a(std::string name) {
  co_return lookup(Type::kA, name, a_);
}
Task<dns::Answer<dns::Address>> FakeResolver::aaaa(std::string name) {
  co_return lookup(Type::kAaaa, name, aaaa_);
}
Task<dns::Answer<std::string>> FakeResolver::txt(std::string name) {
  co_return lookup(Type::kTxt, name, txt_);
}
Task<dns::Answer<std::string>> FakeResolver::ptr(dns::Address addr) {
  co_return lookup(Type::kPtr, dns::reverseName(addr), ptr_);
}

}  // namespace mailroom::testing
