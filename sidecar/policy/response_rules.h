// Response rules (issue #11): what a receiver's reply means for the whole destination, not
// just for the message in hand. A rule matches a reply by its code, its enhanced status code
// (RFC 3463), a regular expression over its text and the MX host's suffix; its action is one of
// defer-destination (send nothing there for a while), reduce-rate, pause, switch-family or
// bounce. The built-in table holds the replies every sender meets (Gmail's 4.7.28 rate limit,
// 5.7.25 PTR and 5.7.26 unauthenticated; Yahoo's [TSS04]; Microsoft's S3150 block list; 421
// "too many connections"). Pure: the engine asks and acts.
#pragma once

#include <chrono>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailroom::policy {

enum class ResponseAction { kDeferDestination, kReduceRate, kPause, kSwitchFamily, kBounce };
const char* responseActionName(ResponseAction action);  // "defer-destination", ...
std::optional<ResponseAction> parseResponseAction(std::string_view name);

struct ResponseRule {
  std::string name;        // "gmail-rate-limited"
  std::vector<int> codes;  // reply codes; empty: any
  std::string enhanced;    // "4.7.28"; "": any
  // Searched in the reply text, case-insensitively; unset: any text.
  std::optional<std::regex> text;
  std::string mxSuffix;  // the MX host ends with it ("google.com"); "": any
  ResponseAction action = ResponseAction::kDeferDestination;
  std::chrono::seconds duration{0};  // how long defer-destination, reduce-rate, pause last
};

// The first rule, in order, that the reply matches; nullptr when none does. 2xx replies match
// nothing.
const ResponseRule* matchResponse(std::span<const ResponseRule> rules, int code,
                                  std::string_view enhanced, std::string_view text,
                                  std::string_view mxHost);

// The built-in table (docs/deliverability.md lists it).
const std::vector<ResponseRule>& defaultResponseRules();

}  // namespace mailroom::policy
