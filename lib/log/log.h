// Structured logs: one JSON object per line on stderr ({"ts","level","msg",fields...}), the
// format log collectors in Kubernetes parse without configuration. Callers pass the message ID
// as a field on every line about a message. Never pass message bodies or secrets.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mailroom::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Field {
  std::string_view key;
  std::string value;
  bool raw = false;  // value is already JSON (a number or bool)
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)), raw(true) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)), raw(true) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)), raw(true) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)), raw(true) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), raw(true) {}
};

void setMinimumLevel(Level level);
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, m, f);
}

// JSON string escaping (RFC 8259 §7) for every JSON writer in the project: control characters
// and DEL as \u00XX, invalid UTF-8 bytes as U+FFFD (JSON text must be UTF-8, §8.1).
void appendJsonString(std::string& out, std::string_view s);
// Length of the well-formed UTF-8 sequence starting at s[i] (1 for ASCII), 0 when ill-formed
// (overlong, surrogate, truncated, above U+10FFFF).
size_t utf8SequenceLength(std::string_view s, size_t i);
// The line write() would print, without the timestamp (tests).
std::string formatLine(Level level, std::string_view msg, std::initializer_list<Field> fields,
                       std::string_view timestamp);

}  // namespace mailroom::log
