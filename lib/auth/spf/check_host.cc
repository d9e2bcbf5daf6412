#include "lib/auth/spf/check_host.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "lib/auth/spf/cidr.h"
#include "lib/auth/spf/macro.h"

namespace mailroom::spf {
namespace {

constexpr int kMaxLookups = 10;       // §4.6.4: terms that cause DNS queries
constexpr int kMaxVoidLookups = 2;    // §4.6.4: NXDOMAIN / empty answers
constexpr int kMaxNamesPerTerm = 10;  // §4.6.4: MX and PTR names looked up per mechanism

struct Outcome {
  Code code = Code::kNeutral;
  std::string mechanism;
  std::string problem;
  std::string explanation;
};

Outcome error(Code code, std::string problem) {
  return {code, "", std::move(problem), ""};
}

Code fromQualifier(Qualifier q) {
  switch (q) {
    case Qualifier::kPass:
      return Code::kPass;
    case Qualifier::kFail:
      return Code::kFail;
    case Qualifier::kSoftFail:
      return Code::kSoftFail;
    case Qualifier::kNeutral:
      return Code::kNeutral;
  }
  return Code::kNeutral;
}

bool isVoid(dns::Status s) {
  return s == dns::Status::kNxDomain || s == dns::Status::kNoData;
}

// A mechanism either matches, does not, or ends the evaluation with an error outcome.
struct Match {
  bool matched = false;
  std::optional<Outcome> error;
};
Match yes() {
  return {true, std::nullopt};
}
Match no() {
  return {false, std::nullopt};
}
Match fail(Code c, std::string problem) {
  return {false, error(c, std::move(problem))};
}

class Evaluator {
 public:
  Evaluator(dns::Resolver& resolver, SpfRequest request)
      : resolver_(resolver), req_(std::move(request)) {
    req_.ip = unmapV4(req_.ip);
    // §4.3: a sender without a local-part is checked as postmaster@domain.
    if (req_.sender.empty()) req_.sender = "postmaster@" + req_.domain;
    if (req_.sender.front() == '@') req_.sender = "postmaster" + req_.sender;
  }

  const std::string& requestDomain() const { return req_.domain; }

  int lookups() const { return lookups_; }
  int voids() const { return voids_; }

  // check_host(<ip>, <domain>, <sender>): the top level, include: and redirect= all land here.
  Task<Outcome> evaluate(std::string domain, bool wantExplanation) {
    if (!isValidDomain(domain))
      co_return error(Code::kNone, "\"" + domain + "\" is not a valid domain name");
    domain = dns::normalizeName(domain);
    auto txt = co_await resolver_.txt(domain);
    if (dns::isTemporary(txt.status)) {
      co_return error(Code::kTempError, "TXT " + domain + ": " + dns::statusName(txt.status));
    }
    if (!txt.ok()) {
      if (isVoid(txt.status) && ++voids_ > kMaxVoidLookups) {
        co_return error(Code::kPermError, "more than 2 void lookups (at TXT " + domain + ")");
      }
      co_return error(Code::kNone, "no SPF record at " + domain);
    }
    std::vector<std::string> spf;
    for (auto& r : txt.records) {
      if (isSpfRecord(r)) spf.push_back(r);
    }
    if (spf.empty()) co_return error(Code::kNone, "no SPF record at " + domain);
    if (spf.size() > 1) co_return error(Code::kPermError, "more than one SPF record at " + domain);
    auto record = parseRecord(spf[0]);
    if (!record) co_return error(Code::kPermError, domain + ": " + record.error().message);

    for (const auto& term : record->terms) {
      const auto* mech = std::get_if<Mechanism>(&term);
      if (mech == nullptr) continue;
      auto m = co_await match(*mech, domain);
      if (m.error) co_return *m.error;
      if (!m.matched) continue;
      Outcome out{fromQualifier(mech->qualifier), renderTerm(term), "", ""};
      if (out.code == Code::kFail && wantExplanation) {
        out.explanation = co_await explain(record->exp(), domain);
      }
      co_return out;
    }
    if (auto redirect = record->redirect()) {
      if (!countLookup()) co_return limitError("redirect=" + *redirect);
      auto target = co_await expandTarget(*redirect, domain);
      if (!target) co_return error(Code::kPermError, target.error().message);
      auto out = co_await evaluate(*target, wantExplanation);
      if (out.code == Code::kNone) {
        // §6.1: a redirect to a domain without a record is a permerror.
        co_return error(Code::kPermError, "redirect=" + *target + ": " + out.problem);
      }
      co_return out;
    }
    co_return Outcome{Code::kNeutral, "", "no mechanism matched", ""};
  }

 private:
  bool countLookup() { return ++lookups_ <= kMaxLookups; }
  Outcome limitError(const std::string& term) {
    return error(Code::kPermError, "more than 10 DNS-querying terms (at " + term + ")");
  }
  bool countVoid() { return ++voids_ <= kMaxVoidLookups; }

  MacroContext context(const std::string& domain) const {
    MacroContext c;
    c.sender = req_.sender;
    c.domain = domain;
    c.ip = req_.ip;
    c.helo = req_.helo;
    c.receiver = req_.receiver;
    c.timestamp = req_.timestamp;
    return c;
  }

  // Expands a domain-spec; a spec that uses %{p} costs the validated-name lookups first.
  Task<Result<std::string>> expandTarget(const std::string& spec, const std::string& domain) {
    auto ctx = context(domain);
    if (usesMacro(spec, 'p')) ctx.validatedName = co_await validatedName(domain);
    co_return expandMacros(spec, ctx, MacroMode::kDomainSpec);
  }

  Task<Match> match(const Mechanism& m, const std::string& domain) {
    const std::string term = renderTerm(m);
    switch (m.kind) {
      case MechanismKind::kAll:
        co_return yes();
      case MechanismKind::kIp4:
      case MechanismKind::kIp6: {
        int prefix = m.kind == MechanismKind::kIp4 ? m.cidr4.value_or(32) : m.cidr6.value_or(128);
        co_return inNetwork(req_.ip, *m.network, prefix) ? yes() : no();
      }
      default:
        break;
    }
    if (!countLookup()) co_return Match{false, limitError(term)};
    std::string target = domain;
    if (!m.domainSpec.empty()) {
      auto t = co_await expandTarget(m.domainSpec, domain);
      if (!t) co_return fail(Code::kPermError, term + ": " + t.error().message);
      target = *t;
    }
    switch (m.kind) {
      case MechanismKind::kInclude:
        co_return co_await matchInclude(target, term);
      case MechanismKind::kA:
        co_return co_await matchA(m, target, term);
      case MechanismKind::kMx:
        co_return co_await matchMx(m, target, term);
      case MechanismKind::kPtr:
        co_return co_await matchPtr(target);
      case MechanismKind::kExists:
        co_return co_await matchExists(target, term);
      default:
        co_return no();
    }
  }

  Task<Match> matchInclude(const std::string& target, const std::string& term) {
    auto inner = co_await evaluate(target, false);
    switch (inner.code) {
      case Code::kPass:
        co_return yes();
      case Code::kFail:
      case Code::kSoftFail:
      case Code::kNeutral:
        co_return no();
      case Code::kTempError:
        co_return Match{false, inner};
      case Code::kPermError:
        co_return Match{false, inner};
      case Code::kNone:  // §5.2: an included domain without a policy is a permerror
        co_return fail(Code::kPermError, term + ": " + inner.problem);
    }
    co_return no();
  }

  // A/AAAA of name in the client's family.
  Task<dns::Answer<dns::Address>> addresses(const std::string& name) {
    if (req_.ip.is_v4()) co_return co_await resolver_.a(name);
    co_return co_await resolver_.aaaa(name);
  }

  bool matchesAny(const std::vector<dns::Address>& addrs, const Mechanism& m) const {
    int prefix = req_.ip.is_v4() ? m.cidr4.value_or(32) : m.cidr6.value_or(128);
    return std::any_of(addrs.begin(), addrs.end(),
                       [&](const dns::Address& a) { return inNetwork(req_.ip, a, prefix); });
  }

  Task<Match> matchA(const Mechanism& m, const std::string& target, const std::string& term) {
    // A target that cannot be a DNS name (long or empty label) cannot exist: no match (§4.3).
    if (!isValidDomain(target)) co_return no();
    auto ans = co_await addresses(target);
    if (dns::isTemporary(ans.status)) {
      co_return fail(Code::kTempError, term + ": " + target + ": " + dns::statusName(ans.status));
    }
    if (isVoid(ans.status)) {
      if (!countVoid())
        co_return fail(Code::kPermError, "more than 2 void lookups (at " + term + ")");
      co_return no();
    }
    co_return matchesAny(ans.records, m) ? yes() : no();
  }

  Task<Match> matchMx(const Mechanism& m, const std::string& target, const std::string& term) {
    if (!isValidDomain(target)) co_return no();
    auto mx = co_await resolver_.mx(target);
    if (dns::isTemporary(mx.status)) {
      co_return fail(Code::kTempError, term + ": MX " + target + ": " + dns::statusName(mx.status));
    }
    if (isVoid(mx.status)) {
      if (!countVoid())
        co_return fail(Code::kPermError, "more than 2 void lookups (at " + term + ")");
      co_return no();
    }
    if (!mx.ok()) co_return no();
    if (mx.records.size() > static_cast<size_t>(kMaxNamesPerTerm)) {
      co_return fail(Code::kPermError, term + ": more than 10 MX names (§4.6.4)");
    }
    for (const auto& rec : mx.records) {
      if (rec.host.empty()) continue;  // null MX (RFC 7505): no host to match
      auto ans = co_await addresses(rec.host);
      if (dns::isTemporary(ans.status)) {
        co_return fail(Code::kTempError,
                       term + ": " + rec.host + ": " + dns::statusName(ans.status));
      }
      if (ans.ok() && matchesAny(ans.records, m)) co_return yes();
    }
    co_return no();
  }

  // §5.5: names from PTR whose A/AAAA lead back to the client; DNS errors skip a name.
  Task<std::vector<std::string>> validatedNames(bool countVoids) {
    std::vector<std::string> out;
    auto ptr = co_await resolver_.ptr(req_.ip);
    if (countVoids && isVoid(ptr.status)) ++voids_;
    if (!ptr.ok()) co_return out;
    size_t n = std::min(ptr.records.size(), static_cast<size_t>(kMaxNamesPerTerm));
    for (size_t i = 0; i < n; ++i) {
      const std::string name = dns::normalizeName(ptr.records[i]);
      if (!isValidDomain(name)) continue;
      auto ans = co_await addresses(name);
      if (!ans.ok()) continue;
      if (std::find(ans.records.begin(), ans.records.end(), req_.ip) != ans.records.end()) {
        out.push_back(name);
      }
    }
    co_return out;
  }

  static bool isSameOrSub(const std::string& name, const std::string& target) {
    std::string t = dns::normalizeName(target);
    return name == t || (name.size() > t.size() && name.ends_with("." + t));
  }

  Task<Match> matchPtr(const std::string& target) {
    auto names = co_await validatedNames(true);
    if (voids_ > kMaxVoidLookups)
      co_return fail(Code::kPermError, "more than 2 void lookups (at ptr)");
    for (const auto& n : names) {
      if (isSameOrSub(n, target)) co_return yes();
    }
    co_return no();
  }

  // %{p} (§7.3): prefer the domain itself, then a subdomain of it, then any validated name.
  // The names depend only on the client IP, so they are looked up once per evaluation (the
  // %{p} lookups do not count against the limit of 10; the cache bounds what they cost).
  Task<std::string> validatedName(const std::string& domain) {
    if (!pNames_) pNames_ = co_await validatedNames(false);
    const auto& names = *pNames_;
    for (const auto& n : names) {
      if (n == dns::normalizeName(domain)) co_return n;
    }
    for (const auto& n : names) {
      if (isSameOrSub(n, domain)) co_return n;
    }
    co_return names.empty() ? std::string("unknown") : names.front();
  }

  Task<Match> matchExists(const std::string& target, const std::string& term) {
    if (!isValidDomain(target)) co_return no();
    auto ans = co_await resolver_.a(target);  // §5.7: always an A query, whatever the family
    if (dns::isTemporary(ans.status)) {
      co_return fail(Code::kTempError, term + ": " + target + ": " + dns::statusName(ans.status));
    }
    if (isVoid(ans.status)) {
      if (!countVoid())
        co_return fail(Code::kPermError, "more than 2 void lookups (at " + term + ")");
      co_return no();
    }
    co_return ans.ok() ? yes() : no();
  }

  // §6.2: the exp= text; any problem with it silently gives the default explanation.
  Task<std::string> explain(std::optional<std::string> spec, std::string domain) {
    if (!spec) co_return req_.defaultExplanation;
    auto target = co_await expandTarget(*spec, domain);
    if (!target || !isValidDomain(*target)) co_return req_.defaultExplanation;
    auto txt = co_await resolver_.txt(*target);
    if (!txt.ok() || txt.records.size() != 1) co_return req_.defaultExplanation;
    auto ctx = context(domain);
    if (usesMacro(txt.records[0], 'p')) ctx.validatedName = co_await validatedName(domain);
    auto text = expandMacros(txt.records[0], ctx, MacroMode::kExplanation);
    if (!text) co_return req_.defaultExplanation;
    co_return *text;
  }

  dns::Resolver& resolver_;
  SpfRequest req_;
  int lookups_ = 0;
  int voids_ = 0;
  std::optional<std::vector<std::string>> pNames_;  // validated names for %{p}
};

}  // namespace

const char* codeName(Code c) {
  switch (c) {
    case Code::kNone:
      return "none";
    case Code::kNeutral:
      return "neutral";
    case Code::kPass:
      return "pass";
    case Code::kFail:
      return "fail";
    case Code::kSoftFail:
      return "softfail";
    case Code::kTempError:
      return "temperror";
    case Code::kPermError:
      return "permerror";
  }
  return "?";
}

bool isValidDomain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253) return false;
  size_t labels = 0, start = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      size_t len = i - start;
      if (len == 0 || len > 63) return false;
      ++labels;
      start = i + 1;
    }
  }
  return labels >= 2;
}

SpfRequest mailFromRequest(dns::Address ip, std::string_view mailFrom, std::string_view helo) {
  SpfRequest r;
  r.ip = ip;
  r.helo = std::string(helo);
  auto at = mailFrom.rfind('@');
  if (mailFrom.empty() || at == std::string_view::npos) {
    // §2.4: a null reverse-path is checked as postmaster@<helo>; a bare domain gets the same
    // local-part (§4.3).
    std::string_view d = mailFrom.empty() ? helo : mailFrom;
    r.sender = "postmaster@" + std::string(d);
    r.domain = std::string(d);
  } else {
    r.sender = std::string(mailFrom);
    r.domain = std::string(mailFrom.substr(at + 1));
  }
  return r;
}

SpfRequest heloRequest(dns::Address ip, std::string_view helo) {
  return mailFromRequest(ip, "", helo);
}

Task<SpfResult> checkHost(dns::Resolver& resolver, SpfRequest request) {
  Evaluator ev(resolver, std::move(request));
  std::string domain = ev.requestDomain();
  auto out = co_await ev.evaluate(domain, true);
  SpfResult r;
  r.code = out.code;
  r.mechanism = std::move(out.mechanism);
  r.problem = std::move(out.problem);
  r.explanation = std::move(out.explanation);
  r.dnsLookups = ev.lookups();
  r.voidLookups = ev.voids();
  co_return r;
}

}  // namespace mailroom::spf
