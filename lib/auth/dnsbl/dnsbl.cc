#include "lib/auth/dnsbl/dnsbl.h"

#include <algorithm>

namespace mailroom::auth::dnsbl {
namespace {

dns::Address unmapped(dns::Address ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isSpamhaus(std::string_view zone) {
  return zone == "spamhaus.org" || endsWith(zone, ".spamhaus.org") ||
         endsWith(zone, ".dq.spamhaus.net");
}

// Spamhaus's documented return codes for zen/sbl/xbl/pbl: 127.0.0.x lists,
// 127.255.255.x errors.
std::string spamhausMeaning(uint8_t last) {
  switch (last) {
    case 2:
      return "SBL: Spamhaus Block List (known spam source)";
    case 3:
      return "SBL CSS: snowshoe spam / low-reputation sender";
    case 4:
    case 5:
    case 6:
    case 7:
      return "XBL: exploited or infected host (botnet, open proxy)";
    case 9:
      return "SBL DROP: hijacked or criminal netblock";
    case 10:
      return "PBL (ISP): end-user range that should not send mail directly";
    case 11:
      return "PBL (Spamhaus): end-user range that should not send mail directly";
  }
  return "listed (127.0.0." + std::to_string(last) + ")";
}

}  // namespace

std::string dnsblQueryName(const dns::Address& address, std::string_view zone) {
  std::string rev = dns::reverseName(unmapped(address));
  // reverseName gives the RFC 3596/1035 form; a DNSxL uses the same labels under its own zone.
  std::string_view suffix =
      rev.size() > 13 && endsWith(rev, ".in-addr.arpa") ? ".in-addr.arpa" : ".ip6.arpa";
  rev.resize(rev.size() - suffix.size());
  return rev + "." + dns::normalizeName(zone);
}

Interpretation interpret(std::string_view rawZone, const std::vector<dns::Address>& codes) {
  std::string zone = dns::normalizeName(rawZone);
  Interpretation out;
  std::vector<std::string> listings;
  for (const auto& code : codes) {
    if (!code.is_v4()) continue;
    auto b = code.to_v4().to_bytes();
    const std::string text = code.to_string();
    if (b[0] != 127) {
      // RFC 5782 §2.1: values are in 127.0.0.0/8. Anything else is a resolver that rewrites
      // NXDOMAIN (ISP "search" pages) or a list that was shut down and now lists everything.
      out.tempError = true;
      out.meaning = text +
                    " is outside 127.0.0.0/8 (RFC 5782 §2.1): the resolver rewrites "
                    "NXDOMAIN or the list is defunct; could not check";
      continue;
    }
    if (b[1] == 255 && b[2] == 255) {
      // Spamhaus convention: 127.255.255.x is an error about the query, not about the address.
      out.tempError = true;
      switch (b[3]) {
        case 252:
          out.meaning = text + ": typo in the DNSBL zone name; could not check";
          break;
        case 254:
          out.meaning = text +
                        ": the list refused the query because it came through a public "
                        "resolver; use a local recursive resolver or the list's registered query "
                        "service; could not check";
          break;
        case 255:
          out.meaning = text +
                        ": the list refused the query (excessive number of queries); "
                        "could not check";
          break;
        default:
          out.meaning = text + ": the list refused the query; could not check";
      }
      continue;
    }
    if (text == "127.0.0.1") {
      // RFC 5782 §5: lists must not list 127.0.0.1; some (URIBL) answer it to refuse queries.
      out.tempError = true;
      out.meaning = text +
                    " is not a listing (RFC 5782 §5): the list refused or is broken; "
                    "could not check";
      continue;
    }
    listings.push_back(
        isSpamhaus(zone) && b[1] == 0 && b[2] == 0
            ? text + " " + spamhausMeaning(b[3])
            : text + (text == "127.0.0.2" ? " listed" : " listed (list-specific code)"));
  }
  if (!listings.empty()) {
    // A real listing code wins over error codes in the same answer.
    out.listed = true;
    out.tempError = false;
    out.meaning.clear();
    for (const auto& l : listings) out.meaning += (out.meaning.empty() ? "" : "; ") + l;
  } else if (!out.tempError) {
    out.tempError = true;
    out.meaning = "answer without an IPv4 return code; could not check";
  }
  return out;
}

Task<std::vector<DnsblVerdict>> checkDnsbl(dns::Resolver& resolver, dns::Address ip,
                                           std::vector<std::string> zones) {
  std::vector<DnsblVerdict> out;
  ip = unmapped(ip);
  for (const auto& rawZone : zones) {
    DnsblVerdict v;
    v.zone = dns::normalizeName(rawZone);
    const std::string name = dnsblQueryName(ip, v.zone);
    auto a = co_await resolver.a(name);
    switch (a.status) {
      case dns::Status::kNxDomain:
      case dns::Status::kNoData:
        v.meaning = "not listed";
        break;
      case dns::Status::kTempFail:
      case dns::Status::kTimeout:
      case dns::Status::kBadName:
        v.tempError = true;
        v.meaning = std::string("could not check: lookup of ") + name + " " +
                    dns::statusName(a.status) + (a.detail.empty() ? "" : " (" + a.detail + ")") +
                    (a.status == dns::Status::kTimeout
                         ? "; some lists do not answer queries from public resolvers"
                         : "");
        break;
      case dns::Status::kOk: {
        v.returnCodes = a.records;
        auto i = interpret(v.zone, a.records);
        v.listed = i.listed;
        v.tempError = i.tempError;
        v.meaning = i.meaning;
        if (v.listed) {
          // The explanation is optional (RFC 5782 §2.1); its failure does not change the verdict.
          auto txt = co_await resolver.txt(name);
          if (txt.ok()) {
            for (const auto& t : txt.records) {
              v.txtReason += (v.txtReason.empty() ? "" : " ") + t;
            }
          }
        }
        break;
      }
    }
    out.push_back(std::move(v));
  }
  co_return out;
}

}  // namespace mailroom::auth::dnsbl
