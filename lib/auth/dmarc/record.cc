#include "lib/auth/dmarc/record.h"

#include <cctype>
#include <map>

namespace mailroom::dmarc {
namespace {

bool isWsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error tagError(std::string_view tag, std::string what) {
  return Error::invalidArgument(std::string(tag) + ": " + std::move(what));
}

struct Tag {
  std::string name;  // lower case
  std::string value;
};

// tag-list = tag-spec *( ";" tag-spec ) [ ";" ], tag-spec = WSP* name WSP* "=" WSP* value WSP*
Result<std::vector<Tag>> splitTags(std::string_view txt) {
  std::vector<Tag> out;
  size_t start = 0;
  while (start <= txt.size()) {
    size_t semi = txt.find(';', start);
    std::string_view spec =
        trim(txt.substr(start, semi == std::string_view::npos ? txt.npos : semi - start));
    bool last = semi == std::string_view::npos;
    start = last ? txt.size() + 1 : semi + 1;
    if (spec.empty()) {
      if (last) break;
      return Error::invalidArgument("empty tag between ';'");
    }
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) {
      return Error::invalidArgument("\"" + std::string(spec) + "\" is not tag=value");
    }
    std::string name = lower(trim(spec.substr(0, eq)));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
      return Error::invalidArgument("bad tag name in \"" + std::string(spec) + "\"");
    }
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
        return Error::invalidArgument("bad tag name in \"" + std::string(spec) + "\"");
      }
    }
    for (const auto& t : out) {
      if (t.name == name) return tagError(name, "appears more than once");
    }
    out.push_back({name, std::string(trim(spec.substr(eq + 1)))});
  }
  return out;
}

std::optional<Policy> parsePolicy(std::string_view v) {
  std::string l = lower(v);
  if (l == "none") return Policy::kNone;
  if (l == "quarantine") return Policy::kQuarantine;
  if (l == "reject") return Policy::kReject;
  return std::nullopt;
}

std::optional<uint64_t> parseNumber(std::string_view v, uint64_t max) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (n > (max - static_cast<uint64_t>(c - '0')) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; URIs separated by commas.
Result<std::vector<ReportUri>> parseUris(std::string_view tag, std::string_view v) {
  std::vector<ReportUri> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string_view item =
        trim(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
    start = comma == std::string_view::npos ? v.size() + 1 : comma + 1;
    if (item.empty()) return tagError(tag, "empty URI");
    ReportUri u;
    if (auto bang = item.rfind('!'); bang != std::string_view::npos) {
      std::string_view size = item.substr(bang + 1);
      if (!size.empty() &&
          std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos) {
        u.unit = static_cast<char>(std::tolower(static_cast<unsigned char>(size.back())));
        size.remove_suffix(1);
      }
      u.maxSize = parseNumber(size, UINT64_MAX);
      if (!u.maxSize) return tagError(tag, "bad size limit in \"" + std::string(item) + "\"");
      item = item.substr(0, bang);
    }
    // URI (RFC 3986): a scheme, ':', and no whitespace; ',' and ';' would have been split off.
    auto colon = item.find(':');
    bool ok = colon != std::string_view::npos && colon > 0 &&
              std::isalpha(static_cast<unsigned char>(item[0])) && colon + 1 < item.size();
    for (size_t i = 0; ok && i < colon; ++i) {
      char c = item[i];
      ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    }
    for (char c : item) ok = ok && c > ' ' && c < 0x7f && c != '!';
    if (!ok) return tagError(tag, "\"" + std::string(item) + "\" is not a URI");
    u.uri = std::string(item);
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::string> parseColonList(std::string_view tag, std::string_view v, bool foValues) {
  if (v.empty()) return tagError(tag, "empty value");
  std::string out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t colon = v.find(':', start);
    std::string_view item =
        trim(v.substr(start, colon == std::string_view::npos ? v.npos : colon - start));
    start = colon == std::string_view::npos ? v.size() + 1 : colon + 1;
    std::string l = lower(item);
    bool ok = !l.empty();
    if (foValues) {
      ok = l == "0" || l == "1" || l == "d" || l == "s";
    } else {
      for (char c : l) ok = ok && std::isalpha(static_cast<unsigned char>(c));
    }
    if (!ok) return tagError(tag, "bad value \"" + std::string(item) + "\"");
    out += (out.empty() ? "" : ":") + l;
  }
  return out;
}

std::string renderUris(const std::vector<ReportUri>& uris) {
  std::string out;
  for (const auto& u : uris) {
    if (!out.empty()) out += ",";
    out += u.uri;
    if (u.maxSize) {
      out += "!" + std::to_string(*u.maxSize);
      if (u.unit) out += u.unit;
    }
  }
  return out;
}

}  // namespace

const char* policyName(Policy p) {
  switch (p) {
    case Policy::kNone:
      return "none";
    case Policy::kQuarantine:
      return "quarantine";
    case Policy::kReject:
      return "reject";
  }
  return "?";
}

bool isDmarcRecord(std::string_view txt) {
  auto semi = txt.find(';');
  std::string_view first = trim(txt.substr(0, semi));
  auto eq = first.find('=');
  if (eq == std::string_view::npos) return false;
  return lower(trim(first.substr(0, eq))) == "v" && trim(first.substr(eq + 1)) == "DMARC1";
}

Result<DmarcRecord> parseRecord(std::string_view txt) {
  auto tags = splitTags(txt);
  if (!tags) return tags.error();
  if (tags->empty() || (*tags)[0].name != "v") return tagError("v", "must be the first tag");
  if ((*tags)[0].value != "DMARC1") {
    return tagError("v", "\"" + (*tags)[0].value + "\" is not DMARC1");
  }
  DmarcRecord r;
  std::optional<Error> pError;
  bool sawP = false;
  for (size_t i = 1; i < tags->size(); ++i) {
    const auto& [name, value] = (*tags)[i];
    if (name == "p" || name == "sp") {
      auto pol = parsePolicy(value);
      if (!pol) {
        auto e = tagError(name, "\"" + value + "\" is not none, quarantine or reject");
        if (name == "sp") return e;
        pError = e;
        continue;
      }
      if (name == "p") {
        r.p = *pol;
        sawP = true;
      } else {
        r.sp = pol;
      }
    } else if (name == "pct") {
      auto n = parseNumber(value, 100);
      if (!n) return tagError(name, "\"" + value + "\" is not an integer 0-100");
      r.pct = static_cast<int>(*n);
    } else if (name == "rua" || name == "ruf") {
      auto uris = parseUris(name, value);
      if (!uris) return uris.error();
      (name == "rua" ? r.rua : r.ruf) = std::move(uris).value();
    } else if (name == "adkim" || name == "aspf") {
      std::string l = lower(value);
      if (l != "r" && l != "s") return tagError(name, "\"" + value + "\" is not r or s");
      (name == "adkim" ? r.adkim : r.aspf) =
          l == "s" ? AlignmentMode::kStrict : AlignmentMode::kRelaxed;
    } else if (name == "fo" || name == "rf") {
      auto list = parseColonList(name, value, name == "fo");
      if (!list) return list.error();
      (name == "fo" ? r.fo : r.rf) = std::move(list).value();
    } else if (name == "ri") {
      auto n = parseNumber(value, UINT32_MAX);
      if (!n) return tagError(name, "\"" + value + "\" is not a 32-bit integer");
      r.ri = static_cast<uint32_t>(*n);
    } else if (name == "v") {
      return tagError(name, "must appear only first");
    }
    // Unknown tags are ignored (§6.3).
  }
  if (!sawP) {
    // §6.6.3: no valid p, but a valid rua: act as p=none (so reports still flow).
    if (r.rua.empty()) return pError ? *pError : tagError("p", "missing (required)");
    r.p = Policy::kNone;
    r.pImplied = true;
  }
  return r;
}

std::string renderRecord(const DmarcRecord& r) {
  std::string out = "v=DMARC1";
  if (!r.pImplied) out += std::string("; p=") + policyName(r.p);
  if (r.sp) out += std::string("; sp=") + policyName(*r.sp);
  if (r.pct) out += "; pct=" + std::to_string(*r.pct);
  if (!r.rua.empty()) out += "; rua=" + renderUris(r.rua);
  if (!r.ruf.empty()) out += "; ruf=" + renderUris(r.ruf);
  if (r.adkim) out += std::string("; adkim=") + (*r.adkim == AlignmentMode::kStrict ? "s" : "r");
  if (r.aspf) out += std::string("; aspf=") + (*r.aspf == AlignmentMode::kStrict ? "s" : "r");
  if (r.fo) out += "; fo=" + *r.fo;
  if (r.rf) out += "; rf=" + *r.rf;
  if (r.ri) out += "; ri=" + std::to_string(*r.ri);
  return out;
}

}  // namespace mailroom::dmarc
