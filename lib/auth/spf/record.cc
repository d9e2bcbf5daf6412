#include "lib/auth/spf/record.h"

#include <cctype>

#include "lib/auth/spf/macro.h"

namespace mailroom::spf {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error termError(std::string_view term, std::string what) {
  return Error::invalidArgument("term \"" + std::string(term) + "\": " + std::move(what));
}

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ), ip6 likewise up to 128: no leading zeros.
std::optional<int> parseCidr(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// Splits a trailing "/digits" off s; returns the digits ("" if none).
std::string_view takeTrailingDigits(std::string_view& s, std::string_view sep) {
  size_t end = s.size(), i = end;
  while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) --i;
  if (i == end || i < sep.size() || s.substr(i - sep.size(), sep.size()) != sep) return {};
  // "a:x//64" must not read as cidr4 "/64" preceded by "x/".
  if (sep == "/" && i >= 2 && s[i - 2] == '/') return {};
  std::string_view digits = s.substr(i);
  s = s.substr(0, i - sep.size());
  return digits;
}

Result<Mechanism> parseMechanism(std::string_view term) {
  Mechanism m;
  std::string_view rest = term;
  if (!rest.empty() && std::string_view("+-~?").find(rest[0]) != std::string_view::npos) {
    m.qualifier = static_cast<Qualifier>(rest[0]);
    m.explicitQualifier = true;
    rest.remove_prefix(1);
  }
  size_t nameEnd = rest.find_first_of(":/");
  std::string name = lower(rest.substr(0, nameEnd));
  rest = nameEnd == std::string_view::npos ? std::string_view() : rest.substr(nameEnd);

  if (name == "all") {
    m.kind = MechanismKind::kAll;
    if (!rest.empty()) return termError(term, "\"all\" takes no arguments");
    return m;
  }
  if (name == "include" || name == "exists") {
    m.kind = name == "include" ? MechanismKind::kInclude : MechanismKind::kExists;
    if (rest.empty() || rest[0] != ':') return termError(term, name + " needs \":domain\"");
    m.domainSpec = std::string(rest.substr(1));
    if (auto v = validateDomainSpec(m.domainSpec); !v) return termError(term, v.error().message);
    return m;
  }
  if (name == "a" || name == "mx") {
    m.kind = name == "a" ? MechanismKind::kA : MechanismKind::kMx;
    std::string_view spec = rest;
    if (auto d6 = takeTrailingDigits(spec, "//"); !d6.empty()) {
      m.cidr6 = parseCidr(d6, 128);
      if (!m.cidr6) return termError(term, "bad IPv6 CIDR length \"" + std::string(d6) + "\"");
    }
    if (auto d4 = takeTrailingDigits(spec, "/"); !d4.empty()) {
      m.cidr4 = parseCidr(d4, 32);
      if (!m.cidr4) return termError(term, "bad IPv4 CIDR length \"" + std::string(d4) + "\"");
    }
    if (spec.empty()) return m;
    if (spec[0] != ':') return termError(term, "unexpected \"" + std::string(spec) + "\"");
    m.domainSpec = std::string(spec.substr(1));
    if (auto v = validateDomainSpec(m.domainSpec); !v) return termError(term, v.error().message);
    return m;
  }
  if (name == "ptr") {
    m.kind = MechanismKind::kPtr;
    if (rest.empty()) return m;
    if (rest[0] != ':') return termError(term, "ptr takes only \":domain\"");
    m.domainSpec = std::string(rest.substr(1));
    if (auto v = validateDomainSpec(m.domainSpec); !v) return termError(term, v.error().message);
    return m;
  }
  if (name == "ip4" || name == "ip6") {
    bool v4 = name == "ip4";
    m.kind = v4 ? MechanismKind::kIp4 : MechanismKind::kIp6;
    if (rest.empty() || rest[0] != ':') return termError(term, name + " needs \":address\"");
    std::string_view net = rest.substr(1);
    if (auto slash = net.find('/'); slash != std::string_view::npos) {
      auto len = parseCidr(net.substr(slash + 1), v4 ? 32 : 128);
      if (!len)
        return termError(term, "bad CIDR length \"" + std::string(net.substr(slash + 1)) + "\"");
      (v4 ? m.cidr4 : m.cidr6) = len;
      net = net.substr(0, slash);
    }
    boost::system::error_code ec;
    std::string text(net);
    if (v4) {
      auto a = boost::asio::ip::make_address_v4(text, ec);
      if (!ec) m.network = a;
    } else if (text.find('%') == std::string::npos) {  // no scope ids in SPF
      auto a = boost::asio::ip::make_address_v6(text, ec);
      if (!ec) m.network = a;
    }
    if (!m.network) return termError(term, "bad " + name + " address \"" + text + "\"");
    return m;
  }
  return termError(term, "unknown mechanism \"" + name + "\"");
}

}  // namespace

const char* mechanismName(MechanismKind k) {
  switch (k) {
    case MechanismKind::kAll:
      return "all";
    case MechanismKind::kInclude:
      return "include";
    case MechanismKind::kA:
      return "a";
    case MechanismKind::kMx:
      return "mx";
    case MechanismKind::kPtr:
      return "ptr";
    case MechanismKind::kIp4:
      return "ip4";
    case MechanismKind::kIp6:
      return "ip6";
    case MechanismKind::kExists:
      return "exists";
  }
  return "?";
}

std::optional<std::string> Record::redirect() const {
  for (const auto& t : terms) {
    if (auto* m = std::get_if<Modifier>(&t); m && m->name == "redirect") return m->value;
  }
  return std::nullopt;
}

std::optional<std::string> Record::exp() const {
  for (const auto& t : terms) {
    if (auto* m = std::get_if<Modifier>(&t); m && m->name == "exp") return m->value;
  }
  return std::nullopt;
}

bool isSpfRecord(std::string_view txt) {
  if (txt.size() < 6 || lower(txt.substr(0, 6)) != "v=spf1") return false;
  return txt.size() == 6 || txt[6] == ' ';
}

Result<Record> parseRecord(std::string_view txt) {
  if (!isSpfRecord(txt)) return Error::invalidArgument("not an SPF record (no \"v=spf1\")");
  Record r;
  bool sawRedirect = false, sawExp = false;
  std::string_view rest = txt.substr(6);
  while (!rest.empty()) {
    // terms = *( 1*SP ( directive / modifier ) ); only SP separates terms (§12).
    if (rest[0] == ' ') {
      rest.remove_prefix(1);
      continue;
    }
    size_t end = rest.find(' ');
    std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);

    // modifier = name "=" value, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    size_t n = 0;
    while (n < term.size() && isNameChar(term[n])) ++n;
    if (n > 0 && n < term.size() && term[n] == '=' &&
        std::isalpha(static_cast<unsigned char>(term[0]))) {
      Modifier m{lower(term.substr(0, n)), std::string(term.substr(n + 1))};
      if (m.name == "redirect" || m.name == "exp") {
        bool& seen = m.name == "redirect" ? sawRedirect : sawExp;
        if (seen) return termError(term, m.name + "= appears more than once (§6)");
        seen = true;
        if (auto v = validateDomainSpec(m.value); !v) return termError(term, v.error().message);
      } else if (auto v = parseMacroString(m.value, MacroMode::kExplanation); !v) {
        return termError(term, v.error().message);
      }
      r.terms.emplace_back(std::move(m));
      continue;
    }
    auto mech = parseMechanism(term);
    if (!mech) return mech.error();
    r.terms.emplace_back(std::move(mech).value());
  }
  return r;
}

std::string renderTerm(const Term& t) {
  if (auto* mod = std::get_if<Modifier>(&t)) return mod->name + "=" + mod->value;
  const auto& m = std::get<Mechanism>(t);
  std::string out;
  if (m.explicitQualifier) out += static_cast<char>(m.qualifier);
  out += mechanismName(m.kind);
  if (m.network) {
    out += ":" + m.network->to_string();
  } else if (!m.domainSpec.empty()) {
    out += ":" + m.domainSpec;
  }
  if (m.cidr4) out += "/" + std::to_string(*m.cidr4);
  if (m.cidr6) out += (m.kind == MechanismKind::kIp6 ? "/" : "//") + std::to_string(*m.cidr6);
  return out;
}

std::string renderRecord(const Record& r) {
  std::string out = "v=spf1";
  for (const auto& t : r.terms) out += " " + renderTerm(t);
  return out;
}

bool causesDnsLookup(const Term& t) {
  if (auto* mod = std::get_if<Modifier>(&t)) return mod->name == "redirect";
  switch (std::get<Mechanism>(t).kind) {
    case MechanismKind::kInclude:
    case MechanismKind::kA:
    case MechanismKind::kMx:
    case MechanismKind::kPtr:
    case MechanismKind::kExists:
      return true;
    case MechanismKind::kAll:
    case MechanismKind::kIp4:
    case MechanismKind::kIp6:
      return false;
  }
  return false;
}

int countDnsLookupTerms(const Record& r) {
  int n = 0;
  for (const auto& t : r.terms) n += causesDnsLookup(t) ? 1 : 0;
  return n;
}

}  // namespace mailroom::spf
