#include "sidecar/policy/response_rules.h"

#include <algorithm>

namespace mailroom::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::regex icase(const char* pattern) {
  return std::regex(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
}

// "mx1.google.com" ends with "google.com" at a label boundary; "evilgoogle.com" does not.
bool hostEndsWith(std::string_view host, std::string_view suffix) {
  if (suffix.empty()) return true;
  if (host.size() < suffix.size()) return false;
  if (!std::equal(suffix.rbegin(), suffix.rend(), host.rbegin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      }))
    return false;
  return host.size() == suffix.size() || suffix.front() == '.' ||
         host[host.size() - suffix.size() - 1] == '.';
}

}  // namespace

const char* responseActionName(ResponseAction a) {
  switch (a) {
    case ResponseAction::kDeferDestination:
      return "defer-destination";
    case ResponseAction::kReduceRate:
      return "reduce-rate";
    case ResponseAction::kPause:
      return "pause";
    case ResponseAction::kSwitchFamily:
      return "switch-family";
    case ResponseAction::kBounce:
      return "bounce";
  }
  return "?";
}

std::optional<ResponseAction> parseResponseAction(std::string_view name) {
  for (auto a : {ResponseAction::kDeferDestination, ResponseAction::kReduceRate,
                 ResponseAction::kPause, ResponseAction::kSwitchFamily, ResponseAction::kBounce})
    if (name == responseActionName(a)) return a;
  return std::nullopt;
}

const ResponseRule* matchResponse(std::span<const ResponseRule> rules, int code,
                                  std::string_view enhanced, std::string_view text,
                                  std::string_view mxHost) {
  if (code >= 200 && code < 400) return nullptr;
  for (const auto& r : rules) {
    if (!r.codes.empty() && std::find(r.codes.begin(), r.codes.end(), code) == r.codes.end())
      continue;
    if (!r.enhanced.empty() && r.enhanced != enhanced) continue;
    if (!hostEndsWith(mxHost, r.mxSuffix)) continue;
    if (r.text && !std::regex_search(text.begin(), text.end(), *r.text)) continue;
    return &r;
  }
  return nullptr;
}

const std::vector<ResponseRule>& defaultResponseRules() {
  static const std::vector<ResponseRule> rules = [] {
    std::vector<ResponseRule> t;
    // Gmail: "421-4.7.28 ... mail sent from your IP address has been temporarily rate limited".
    t.push_back({"gmail-rate-limited",
                 {421, 450, 451},
                 "4.7.28",
                 std::nullopt,
                 "",
                 ResponseAction::kDeferDestination,
                 minutes(30)});
    // Gmail: "550-5.7.25 ... does not have a PTR record setup".
    t.push_back({"gmail-no-ptr",
                 {550},
                 "5.7.25",
                 std::nullopt,
                 "",
                 ResponseAction::kSwitchFamily,
                 hours(24)});
    // Gmail: "550-5.7.26 This mail is unauthenticated ..." (SPF and DKIM both failed).
    t.push_back({"gmail-unauthenticated",
                 {550},
                 "5.7.26",
                 std::nullopt,
                 "",
                 ResponseAction::kBounce,
                 std::chrono::seconds(0)});
    // Yahoo: "421 4.7.0 [TSS04] Messages from ... temporarily deferred due to unexpected volume
    // or user complaints".
    t.push_back({"yahoo-tss04",
                 {421, 451},
                 "",
                 icase(R"(\[TSS04\])"),
                 "",
                 ResponseAction::kDeferDestination,
                 hours(1)});
    // Microsoft: "550 5.7.1 Unfortunately, messages from [...] weren't sent. ... part of their
    // network is on our block list (S3150)".
    t.push_back({"microsoft-blocklist-s3150",
                 {550},
                 "",
                 icase(R"(\(S3150\))"),
                 "",
                 ResponseAction::kPause,
                 hours(24)});
    // "421 4.7.0 Too many concurrent SMTP connections", Postfix's "421 4.7.0 ... Error: too many
    // connections from ...".
    t.push_back({"too-many-connections",
                 {421, 450, 451},
                 "",
                 icase(R"(too many (concurrent )?(smtp )?connections)"),
                 "",
                 ResponseAction::kReduceRate,
                 minutes(10)});
    return t;
  }();
  return rules;
}

}  // namespace mailroom::policy
