#include "lib/auth/health/render.h"

#include "lib/log/log.h"

#include <algorithm>
#include <array>
#include <ctime>

namespace mailroom::health {
namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629 §4: no overlongs, no surrogates, at
// most U+10FFFF), or 0 when the bytes there are not one.
size_t utf8Length(std::string_view s, size_t i) {
  return log::utf8SequenceLength(s, i);
}

// For the table: control characters (C0, DEL) become "\xNN" so DNS data cannot move the cursor
// or change colours; invalid UTF-8 bytes likewise.
std::string printable(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = utf8Length(s, i);
    if (len == 0 || c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F) include CSI; escape them too.
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(s[i + 1]) >> 4];
      out += kHex[static_cast<unsigned char>(s[i + 1]) & 0xF];
      i += 2;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

// Display width in code points (close enough for the ASCII that fills these columns).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string pad(std::string s, size_t w) {
  size_t have = width(s);
  if (have < w) s.append(w - have, ' ');
  return s;
}

const char* colourOf(Status s) {
  switch (s) {
    case Status::kPass:
      return "\033[32m";  // green
    case Status::kWarn:
      return "\033[33m";  // yellow
    case Status::kFail:
      return "\033[1;31m";  // bold red
    case Status::kUnknown:
      return "\033[35m";  // magenta: neither good nor bad, just not known
  }
  return "";
}

std::array<int, 4> counts(const HealthReport& r) {
  std::array<int, 4> n{};
  for (const auto& c : r.checks) ++n[static_cast<size_t>(c.status)];
  return n;
}

std::string verdictLine(const HealthReport& r) {
  switch (exitCode(r)) {
    case 0:
      return "no problems found";
    case 1:
      return "problems found";
    default:
      return "could not check everything";
  }
}

}  // namespace

std::string formatTime(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string jsonString(std::string_view s) {
  std::string out;
  log::appendJsonString(out, s);
  return out;
}

std::string renderJson(const HealthReport& r) {
  auto n = counts(r);
  std::string out = "{\n";
  out += "  \"domain\": " + jsonString(r.domain) + ",\n";
  out += "  \"checkedAt\": " + jsonString(formatTime(r.checkedAt)) + ",\n";
  out += "  \"status\": " + jsonString(statusName(overallStatus(r))) + ",\n";
  out += "  \"exitCode\": " + std::to_string(exitCode(r)) + ",\n";
  out += "  \"counts\": {";
  for (size_t i = 0; i < n.size(); ++i) {
    out += std::string(i ? ", " : "") + jsonString(statusName(static_cast<Status>(i))) + ": " +
           std::to_string(n[i]);
  }
  out += "},\n";
  out += "  \"checks\": [";
  for (size_t i = 0; i < r.checks.size(); ++i) {
    const auto& c = r.checks[i];
    out += std::string(i ? "," : "") + "\n    {\"check\": " + jsonString(c.check) +
           ", \"subject\": " + jsonString(c.subject) +
           ", \"status\": " + jsonString(statusName(c.status)) +
           ", \"code\": " + jsonString(c.code) + ", \"reason\": " + jsonString(c.reason) + "}";
  }
  out += r.checks.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string renderTable(const HealthReport& r, TableOptions options) {
  std::vector<std::array<std::string, 3>> rows;
  size_t wCheck = width("CHECK"), wSubject = width("SUBJECT"), wStatus = width("UNKNOWN");
  for (const auto& c : r.checks) {
    rows.push_back({printable(c.check), printable(c.subject), printable(c.reason)});
    wCheck = std::max(wCheck, width(rows.back()[0]));
    wSubject = std::max(wSubject, width(rows.back()[1]));
  }
  const char* reset = options.colour ? "\033[0m" : "";
  std::string out = pad("STATUS", wStatus) + "  " + pad("CHECK", wCheck) + "  " +
                    pad("SUBJECT", wSubject) + "  REASON\n";
  for (size_t i = 0; i < r.checks.size(); ++i) {
    std::string status = statusName(r.checks[i].status);
    for (auto& ch : status) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    // Pad outside the colour codes so the columns stay aligned.
    out += std::string(options.colour ? colourOf(r.checks[i].status) : "") + status + reset +
           std::string(wStatus - status.size(), ' ') + "  " + pad(rows[i][0], wCheck) + "  " +
           pad(rows[i][1], wSubject) + "  " + rows[i][2] + "\n";
  }
  auto n = counts(r);
  Status overall = overallStatus(r);
  out += "\n" + printable(r.domain) + ": " + std::string(options.colour ? colourOf(overall) : "") +
         verdictLine(r) + reset + " (" + std::to_string(n[0]) + " pass, " + std::to_string(n[1]) +
         " warn, " + std::to_string(n[2]) + " fail, " + std::to_string(n[3]) +
         " unknown; checked " + formatTime(r.checkedAt) + ")\n";
  return out;
}

}  // namespace mailroom::health
