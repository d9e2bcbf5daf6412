#include "lib/log/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace mailroom::log {
namespace {
std::atomic<Level> gMinimum{Level::kInfo};

const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string now() {
  auto t = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace

void setMinimumLevel(Level level) {
  gMinimum = level;
}

size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(i + 1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(i + 1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void appendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\\ufffd";  // not UTF-8: JSON text must be (RFC 8259 §8.1)
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

std::string formatLine(Level level, std::string_view msg, std::initializer_list<Field> fields,
                       std::string_view timestamp) {
  std::string line = "{\"ts\":";
  appendJsonString(line, timestamp);
  line += ",\"level\":\"";
  line += levelName(level);
  line += "\",\"msg\":";
  appendJsonString(line, msg);
  for (const auto& f : fields) {
    line += ',';
    appendJsonString(line, f.key);
    line += ':';
    if (f.raw)
      line += f.value;
    else
      appendJsonString(line, f.value);
  }
  line += "}\n";
  return line;
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (level < gMinimum.load(std::memory_order_relaxed)) return;
  auto line = formatLine(level, msg, fields, now());
  // One fwrite per line keeps lines whole when several threads log at once.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace mailroom::log
