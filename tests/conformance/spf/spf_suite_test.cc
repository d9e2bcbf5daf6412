// Runs the openspf/pyspf SPF test suites (rfc7208-tests.yml, rfc4408-tests.yml; format and
// driver rules in /work/shared/testdata/spf/SOURCE.md) through spf::checkHost(). Each test of
// each scenario is one parameterized case named <scenario>__<test>.
//
// The zone of a scenario is served by ZoneResolver below, a test-local dns::Resolver: the shared
// FakeResolver has no TIMEOUT entries, CNAMEs or SPF->TXT duplication, which the suites rely on.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/algorithm/string/predicate.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/auth/spf/check_host.h"

namespace mailroom::spf {
namespace {

// One zone entry in file order: type "TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME" or
// "TIMEOUT"; text holds the value (TXT strings concatenated), pref the MX preference.
struct Entry {
  std::string type;
  std::string text;
  uint16_t pref = 0;
};
using Zone = std::map<std::string, std::vector<Entry>>;

// Serves a suite's zonedata the way upstream's driver (pyspf test/testspf.py) does.
class ZoneResolver : public dns::Resolver {
 public:
  explicit ZoneResolver(std::shared_ptr<const Zone> zone) : zone_(std::move(zone)) {}

  Task<dns::Answer<dns::MxRecord>> mx(std::string name) override {
    auto r = lookup(name, "MX");
    dns::Answer<dns::MxRecord> out{r.status, {}, 300, r.detail};
    for (const auto& e : r.entries) out.records.push_back({e.pref, dns::normalizeName(e.text)});
    co_return out;
  }
  Task<dns::Answer<dns::Address>> a(std::string name) override { co_return addresses(name, "A"); }
  Task<dns::Answer<dns::Address>> aaaa(std::string name) override {
    co_return addresses(name, "AAAA");
  }
  Task<dns::Answer<std::string>> txt(std::string name) override {
    co_return strings(lookup(name, "TXT"));
  }
  Task<dns::Answer<std::string>> ptr(dns::Address addr) override {
    auto out = strings(lookup(dns::reverseName(addr), "PTR"));
    for (auto& n : out.records) n = dns::normalizeName(n);
    co_return out;
  }

 private:
  struct Lookup {
    dns::Status status = dns::Status::kNxDomain;
    std::vector<Entry> entries;
    std::string detail;
  };

  static dns::Answer<std::string> strings(const Lookup& r) {
    dns::Answer<std::string> out{r.status, {}, 300, r.detail};
    for (const auto& e : r.entries) out.records.push_back(e.text);
    return out;
  }

  dns::Answer<dns::Address> addresses(const std::string& name, const std::string& type) {
    auto r = lookup(name, type);
    dns::Answer<dns::Address> out{r.status, {}, 300, r.detail};
    for (const auto& e : r.entries) {
      boost::system::error_code ec;
      auto a = boost::asio::ip::make_address(e.text, ec);
      if (!ec) out.records.push_back(a);
    }
    if (out.status == dns::Status::kOk && out.records.empty()) out.status = dns::Status::kNoData;
    return out;
  }

  Lookup lookup(const std::string& raw, const std::string& type, int depth = 0) const {
    std::string name = dns::normalizeName(raw);
    Lookup out;
    // Labels over 63 octets cannot be queried; upstream's fake raises a temporary error.
    for (size_t start = 0; start <= name.size();) {
      size_t dot = std::min(name.find('.', start), name.size());
      if (dot - start > 63) {
        out.status = dns::Status::kTempFail;
        out.detail = "label longer than 63";
        return out;
      }
      start = dot + 1;
    }
    auto it = zone_->find(name);
    if (it == zone_->end()) {
      out.status = name.rfind("error.", 0) == 0 ? dns::Status::kTimeout : dns::Status::kNxDomain;
      return out;
    }
    const auto& entries = it->second;
    bool hasTxt = false;
    for (const auto& e : entries) hasTxt = hasTxt || e.type == "TXT";
    std::string cname;
    for (const auto& e : entries) {
      std::string t = e.type;
      if (type == "TXT" && t == "SPF" && !hasTxt) t = "TXT";  // auto-magic SPF -> TXT
      if (t == "TIMEOUT" && out.entries.empty()) {
        out.status = dns::Status::kTimeout;
        return out;
      }
      if (t == "CNAME" && cname.empty()) cname = e.text;
      if (t == type && e.text != "NONE") out.entries.push_back(e);
    }
    if (out.entries.empty() && !cname.empty() && depth < 8) return lookup(cname, type, depth + 1);
    out.status = out.entries.empty() ? dns::Status::kNoData : dns::Status::kOk;
    return out;
  }

  std::shared_ptr<const Zone> zone_;
};

struct Case {
  std::string suite;
  std::string name;  // gtest-safe
  std::string scenario, test, spec;
  std::string helo, host, mailfrom;
  std::vector<std::string> results;
  std::optional<std::string> explanation;
  std::shared_ptr<const Zone> zone;
  std::string skipReason;  // non-empty: GTEST_SKIP with this
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.suite << ": " << c.scenario << " / " << c.test;
}

std::string gtestName(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

std::string scalarText(const YAML::Node& n) {
  if (n.IsSequence()) {
    std::string out;
    for (const auto& part : n) out += part.as<std::string>();
    return out;
  }
  return n.as<std::string>();
}

std::shared_ptr<const Zone> loadZone(const YAML::Node& zonedata) {
  auto zone = std::make_shared<Zone>();
  if (!zonedata) return zone;
  for (const auto& kv : zonedata) {
    auto& entries = (*zone)[dns::normalizeName(kv.first.as<std::string>())];
    for (const auto& rec : kv.second) {
      if (rec.IsScalar()) {  // a bare TIMEOUT
        entries.push_back({rec.as<std::string>(), "", 0});
        continue;
      }
      for (const auto& tv : rec) {
        Entry e{tv.first.as<std::string>(), "", 0};
        if (e.type == "MX") {
          e.pref = tv.second[0].as<uint16_t>();
          e.text = tv.second[1].as<std::string>();
        } else {
          e.text = scalarText(tv.second);
        }
        entries.push_back(std::move(e));
      }
    }
  }
  return zone;
}

std::vector<std::string> suiteDirs() {
  std::vector<std::string> dirs;
  std::stringstream ss(MAILROOM_SPF_SUITE_DIRS);
  for (std::string d; std::getline(ss, d, ':');) dirs.push_back(d);
  return dirs;
}

// RFC 4408 cases to skip because RFC 7208 changed the expected result (test name -> reason).
// Empty: the 4408 suite accepts several results in 18 tests where implementations (and later
// RFC 7208) differ, and every 4408 case passes with this RFC 7208 evaluator.
const std::map<std::string, std::string>& rfc4408Skips() {
  static const std::map<std::string, std::string> skips = {};
  return skips;
}

std::vector<Case> loadSuite(const std::string& suite) {
  std::vector<Case> out;
  std::string file = suite + "-tests.yml";
  std::string path;
  std::string tried;
  for (const auto& d : suiteDirs()) {
    tried += (tried.empty() ? "" : ", ") + d + "/" + file;
    if (path.empty() && std::filesystem::exists(d + "/" + file)) path = d + "/" + file;
  }
  if (path.empty()) {
    Case c;
    c.suite = suite;
    c.name = "missing";
    c.skipReason = "suite not found; looked at " + tried + " (unpacked at configure time from " +
                   MAILROOM_SPF_SUITE_GZ_DIR + "/" + file + ".gz)";
    out.push_back(c);
    return out;
  }
  std::set<std::string> names;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    auto zone = loadZone(doc["zonedata"]);
    std::string scenario = doc["description"].as<std::string>();
    for (const auto& t : doc["tests"]) {
      Case c;
      c.suite = suite;
      c.scenario = scenario;
      c.test = t.first.as<std::string>();
      c.name = gtestName(scenario) + "__" + gtestName(c.test);
      while (!names.insert(c.name).second) c.name += "_";
      const auto& body = t.second;
      c.spec = body["spec"] ? scalarText(body["spec"]) : "";
      c.helo = body["helo"].as<std::string>();
      c.host = body["host"].as<std::string>();
      c.mailfrom = body["mailfrom"].as<std::string>();
      if (body["result"].IsSequence()) {
        for (const auto& r : body["result"]) c.results.push_back(r.as<std::string>());
      } else {
        c.results.push_back(body["result"].as<std::string>());
      }
      if (body["explanation"]) c.explanation = body["explanation"].as<std::string>();
      c.zone = zone;
      if (suite == "rfc4408") {
        if (auto s = rfc4408Skips().find(c.test); s != rfc4408Skips().end())
          c.skipReason = s->second;
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

template <class T>
T run(Task<T> task) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.run();
  return std::move(*out);
}

class SpfSuite : public ::testing::TestWithParam<Case> {};

TEST_P(SpfSuite, Conforms) {
  const Case& c = GetParam();
  if (!c.skipReason.empty()) GTEST_SKIP() << c.skipReason;
  ZoneResolver resolver(c.zone);
  auto req = mailFromRequest(asio::ip::make_address(c.host), c.mailfrom, c.helo);
  req.defaultExplanation = "DEFAULT";  // as upstream's driver sets it
  auto r = run(checkHost(resolver, req));
  std::string got = codeName(r.code);
  bool acceptable = std::find(c.results.begin(), c.results.end(), got) != c.results.end();
  std::string want;
  for (const auto& w : c.results) want += (want.empty() ? "" : " or ") + w;
  EXPECT_TRUE(acceptable) << "spec " << c.spec << ": got " << got << ", want " << want
                          << " (mechanism \"" << r.mechanism << "\", problem \"" << r.problem
                          << "\")";
  // Case-insensitive: pyspf writes %{i} nibbles in upper case, RFC 7208 §7.4's example in lower
  // case (DNS does not care); v-macro-ip6 expects pyspf's spelling.
  if (c.explanation && got == "fail") {
    EXPECT_TRUE(boost::iequals(r.explanation, *c.explanation))
        << "explanation \"" << r.explanation << "\", want \"" << *c.explanation << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc7208, SpfSuite, ::testing::ValuesIn(loadSuite("rfc7208")),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Rfc4408, SpfSuite, ::testing::ValuesIn(loadSuite("rfc4408")),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace mailroom::spf
