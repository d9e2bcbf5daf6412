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

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
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
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
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
