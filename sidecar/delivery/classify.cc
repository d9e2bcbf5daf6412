#include "sidecar/delivery/classify.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "lib/common/asio.h"

namespace mailroom::delivery {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool containsAny(const std::string& haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return haystack.find(n) != std::string::npos; });
}

}  // namespace

Classification classifyReply(int code, std::string_view enhanced, std::string_view text) {
  if (code > 0 && code < 400) return Classification::kNone;
  // RFC 3463 / RFC 7372 enhanced codes with a fixed meaning.
  if (enhanced.ends_with(".7.25")) return Classification::kReversePtr;
  if (enhanced.ends_with(".7.23")) return Classification::kSpf;
  if (enhanced.ends_with(".7.26")) return Classification::kDmarc;
  if (enhanced.ends_with(".7.20") || enhanced.ends_with(".7.21") || enhanced.ends_with(".7.22"))
    return Classification::kDkim;
  if (enhanced.ends_with(".7.10") || enhanced.ends_with(".7.11")) return Classification::kTls;
  if (enhanced.ends_with(".7.28")) return Classification::kRateLimit;

  auto t = lower(text);
  if (containsAny(t, {"reverse hostname", "reverse dns", "ptr record", "rdns", "reverse lookup",
                      "reverse address", "cannot find your hostname", "reverse name"}))
    return Classification::kReversePtr;
  if (containsAny(t, {"dmarc"})) return Classification::kDmarc;
  if (containsAny(t, {"spf"})) return Classification::kSpf;
  if (containsAny(t, {"dkim"})) return Classification::kDkim;
  if (containsAny(t, {"blocked using", "blocklist", "blacklist", "spamhaus", "dnsbl", "rbl",
                      "listed at", "listed on"}))
    return Classification::kBlocklist;
  if (containsAny(t, {"rate limit", "too many", "rate-limit", "try again later", "throttl"}))
    return Classification::kRateLimit;
  if (containsAny(t, {"starttls", "tls required", "must issue a starttls"}))
    return Classification::kTls;
  if (enhanced.starts_with("5.1.1") || enhanced.starts_with("5.2.2") ||
      enhanced.starts_with("4.2.2") || enhanced.starts_with("5.2.1") ||
      containsAny(t, {"user unknown", "no such user", "mailbox unavailable", "mailbox full"}))
    return Classification::kMailbox;
  return Classification::kNone;
}

const char* classificationName(Classification c) {
  switch (c) {
    case Classification::kNone:
      return "";
    case Classification::kReversePtr:
      return "ptr";
    case Classification::kSpf:
      return "spf";
    case Classification::kDkim:
      return "dkim";
    case Classification::kDmarc:
      return "dmarc";
    case Classification::kBlocklist:
      return "blocklist";
    case Classification::kRateLimit:
      return "rate-limit";
    case Classification::kTls:
      return "tls";
    case Classification::kMailbox:
      return "mailbox";
  }
  return "";
}

const char* classificationWords(Classification c) {
  switch (c) {
    case Classification::kNone:
      return "rejected";
    case Classification::kReversePtr:
      return "no PTR";
    case Classification::kSpf:
      return "SPF";
    case Classification::kDkim:
      return "DKIM";
    case Classification::kDmarc:
      return "DMARC";
    case Classification::kBlocklist:
      return "blocklisted";
    case Classification::kRateLimit:
      return "rate limited";
    case Classification::kTls:
      return "TLS";
    case Classification::kMailbox:
      return "mailbox";
  }
  return "rejected";
}

std::string quotedClientIp(std::string_view text) {
  // Candidates are runs of hex digits, dots and colons; the first that parses as an address
  // with at least one dot or two colons wins.
  auto isAddrChar = [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':';
  };
  size_t i = 0;
  while (i < text.size()) {
    if (!isAddrChar(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && isAddrChar(text[j])) ++j;
    std::string candidate(text.substr(i, j - i));
    while (!candidate.empty() && (candidate.back() == '.' || candidate.back() == ':') &&
           candidate.find("::") != candidate.size() - 2)
      candidate.pop_back();
    size_t dots = std::count(candidate.begin(), candidate.end(), '.');
    size_t colons = std::count(candidate.begin(), candidate.end(), ':');
    if (dots == 3 || colons >= 2) {
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(candidate, ec);
      if (!ec) return addr.to_string();
    }
    i = j;
  }
  return "";
}

}  // namespace mailroom::delivery
