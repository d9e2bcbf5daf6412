// Renderers for a HealthReport: JSON for machines (RFC 8259, hand-written: every string is
// escaped, invalid UTF-8 from DNS data becomes U+FFFD) and an aligned table for people. DNS TXT
// data can carry terminal escape sequences, so the table never prints control characters as is.
#pragma once

#include <string>
#include <string_view>

#include "lib/auth/health/health.h"

namespace mailroom::health {

// A JSON string literal (with the quotes) for arbitrary bytes.
std::string jsonString(std::string_view bytes);

// {"domain":..., "checkedAt":"2026-11-24T08:00:00Z", "status":"fail", "exitCode":1,
//  "counts":{"pass":n,...}, "checks":[{"check","subject","status","code","reason"},...]}
// One line per check so a diff of two runs reads well; ends with a newline.
std::string renderJson(const HealthReport& report);

struct TableOptions {
  bool colour = false;  // ANSI colours on the status column; only when asked (a TTY)
};
// STATUS CHECK SUBJECT REASON, one row per check, then a summary line with the verdict.
std::string renderTable(const HealthReport& report, TableOptions options = {});

// "2026-11-24T08:00:00Z"
std::string formatTime(std::chrono::system_clock::time_point t);

}  // namespace mailroom::health
