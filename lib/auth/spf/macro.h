// SPF macros (RFC 7208 §7): a pure tokenizer/validator for macro-strings and a pure expander.
// The expander never does DNS; the caller resolves %{p} (the validated client name, §5.5/§7.3)
// beforehand and passes it in, so the evaluator can skip that lookup when no term uses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/common/result.h"
#include "lib/dns/resolver.h"

namespace mailroom::spf {

// Where a macro-string appears decides which letters are legal: c, r and t only in exp= text
// (§7.2), and exp text may contain spaces (explain-string, §12).
enum class MacroMode { kDomainSpec, kExplanation };

struct MacroExpand {
  char letter = 's';       // lower case macro-letter
  bool urlEscape = false;  // letter was upper case (§7.3: URL-escape the value)
  int digits = 0;          // 0 = keep all parts
  bool reverse = false;    // "r" transformer
  std::string delimiters;  // "" = "."
  bool operator==(const MacroExpand&) const = default;
};
// A literal run ("%%", "%_" and "%-" are already decoded to "%", " " and "%20").
struct MacroLiteral {
  std::string text;
  bool operator==(const MacroLiteral&) const = default;
};
using MacroToken = std::variant<MacroLiteral, MacroExpand>;

Result<std::vector<MacroToken>> parseMacroString(std::string_view s, MacroMode mode);
// Checks a domain-spec: a valid macro-string whose end is a macro or "." toplabel ["."] (§12).
Result<void> validateDomainSpec(std::string_view s);
// True if the macro-string uses the letter (e.g. 'p'), in any case; false if it does not parse.
bool usesMacro(std::string_view s, char letter);

struct MacroContext {
  std::string sender;         // %{s}: local-part@domain (local-part "postmaster" if empty)
  std::string domain;         // %{d}: the current domain
  dns::Address ip;            // %{i}, %{c}, %{v}
  std::string helo;           // %{h}
  std::string validatedName;  // %{p}: resolved by the caller; "unknown" if none
  std::string receiver;       // %{r}: "unknown" if empty
  int64_t timestamp = 0;      // %{t}: seconds since the epoch (injected; no wall clock here)
};

// Expands a macro-string. In kDomainSpec mode the result is trimmed to 253 characters by
// dropping leading labels (§7.3).
Result<std::string> expandMacros(std::string_view s, const MacroContext& ctx, MacroMode mode);

// The pieces of expansion, exposed for tests: "%{ir}" of 198.51.100.7 is "7.100.51.198".
std::string transformMacroValue(std::string_view value, const MacroExpand& m);
std::string urlEscape(std::string_view value);
// "i" value: dotted quad for IPv4, 32 dot-separated nibbles for IPv6 (§7.3).
std::string ipMacroValue(const dns::Address& ip);

}  // namespace mailroom::spf
