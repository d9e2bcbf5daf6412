#include "sidecar/compose/encoding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

namespace mailroom::compose {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kMaxLine = 78;  // RFC 5322 §2.1.1 "SHOULD"
constexpr size_t kMaxWord = 75;  // RFC 2047 §2

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void appendHex(std::string& out, unsigned char c) {
  out += '=';
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Length of the UTF-8 sequence starting at s[i]; 1 for an invalid lead byte so that callers
// that only need character boundaries still make progress.
size_t utf8Length(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  return i + n <= s.size() ? n : 1;
}

// RFC 2047 §5(3): in a phrase only these may appear unencoded in a Q word.
bool qSafe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
         c == '*' || c == '+' || c == '-' || c == '/';
}

size_t qLength(std::string_view chunk) {
  size_t n = 0;
  for (unsigned char c : chunk) n += (qSafe(c) || c == ' ') ? 1 : 3;
  return n;
}

size_t bLength(size_t bytes) {
  return (bytes + 2) / 3 * 4;
}

void appendBase64(std::string& out, std::string_view data) {
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < data.size()) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (i + 1 < data.size()) v |= uint8_t(data[i + 1]) << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < data.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
}

std::string base64NoBreaks(std::string_view data) {
  std::string out;
  out.reserve(bLength(data.size()));
  appendBase64(out, data);
  return out;
}

std::string encodeWord(std::string_view chunk, bool useQ) {
  std::string out = useQ ? "=?utf-8?q?" : "=?utf-8?b?";
  if (useQ) {
    for (unsigned char c : chunk) {
      if (c == ' ')
        out += '_';
      else if (qSafe(c))
        out += char(c);
      else
        appendHex(out, c);
    }
  } else {
    out += base64NoBreaks(chunk);
  }
  out += "?=";
  return out;
}

std::string latin1ToUtf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  return out;
}

bool hasControl(std::string_view s) {  // HTAB is ordinary text in header values
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return true;
  return false;
}

bool attrChar(unsigned char c) {  // RFC 2231 attribute-char, conservative
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&+-.^_`|~").find(char(c)) != std::string_view::npos;
}

}  // namespace

bool isAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c >> 5) == 6) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c >> 4) == 14) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c >> 3) == 30) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::string encodeBase64(std::string_view data) {
  std::string out;
  out.reserve(bLength(data.size()) + data.size() / 57 * 2 + 2);
  for (size_t i = 0; i < data.size(); i += 57) {
    appendBase64(out, data.substr(i, 57));  // 57 octets make one 76-character line
    out += "\r\n";
  }
  return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;  // data after padding
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (!p) return std::nullopt;
    acc = (acc << 6) | uint32_t(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  if (pad > 2 || bits >= 6) return std::nullopt;
  return out;
}

std::string encodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find("\r\n", pos);
    bool last = eol == std::string_view::npos;
    std::string_view line = text.substr(pos, last ? std::string_view::npos : eol - pos);
    size_t used = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = line[i];
      bool atEnd = i + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !atEnd);
      size_t width = literal ? 1 : 3;
      // A soft break "=" takes one column, so only the line's final token may reach 76.
      if (used + width > (atEnd ? 76 : 75)) {
        out += "=\r\n";
        used = 0;
      }
      if (literal)
        out += char(c);
      else
        appendHex(out, c);
      used += width;
    }
    if (last) break;
    out += "\r\n";
    pos = eol + 2;
  }
  return out;
}

std::optional<std::string> decodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (text.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else if (text.substr(i + 1, 1) == "\n") {
      i += 1;
    } else if (i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out += char(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string encodeWords(std::string_view utf8, size_t usedOnFirstLine) {
  bool useQ = qLength(utf8) <= bLength(utf8.size());
  std::string out;
  size_t used = usedOnFirstLine;
  size_t i = 0;
  while (i < utf8.size()) {
    if (!out.empty()) {  // every word after the first starts a new folded line
      out += "\r\n ";
      used = 1;
    }
    // Room for this word on the current line; at least enough for one 4-byte character.
    size_t room = kMaxLine > used ? kMaxLine - used : 0;
    size_t limit = std::max<size_t>(std::min(kMaxWord, room), 12 + 12);
    size_t end = i;
    while (end < utf8.size()) {
      size_t next = end + utf8Length(utf8, end);
      std::string_view chunk = utf8.substr(i, next - i);
      size_t len = 12 + (useQ ? qLength(chunk) : bLength(chunk.size()));
      if (len > limit && end > i) break;
      end = next;
    }
    std::string word = encodeWord(utf8.substr(i, end - i), useQ);
    out += word;
    used += word.size();
    i = end;
  }
  return out;
}

std::optional<std::string> decodeWord(std::string_view word) {
  if (word.size() < 8 || word.substr(0, 2) != "=?" || word.substr(word.size() - 2) != "?=")
    return std::nullopt;
  std::string_view inner = word.substr(2, word.size() - 4);
  size_t q1 = inner.find('?');
  if (q1 == std::string_view::npos || q1 == 0 || q1 + 3 > inner.size() || inner[q1 + 2] != '?')
    return std::nullopt;
  std::string charset(inner.substr(0, q1));
  if (size_t star = charset.find('*'); star != std::string::npos) charset.resize(star);
  for (auto& c : charset) c = char(std::tolower(static_cast<unsigned char>(c)));
  char enc = char(std::tolower(static_cast<unsigned char>(inner[q1 + 1])));
  std::string_view payload = inner.substr(q1 + 3);
  if (payload.find('?') != std::string_view::npos) return std::nullopt;
  std::string bytes;
  if (enc == 'b') {
    auto d = decodeBase64(payload);
    if (!d) return std::nullopt;
    bytes = std::move(*d);
  } else if (enc == 'q') {
    for (size_t i = 0; i < payload.size(); ++i) {
      char c = payload[i];
      if (c == '_') {
        bytes += ' ';
      } else if (c == '=') {
        if (i + 2 >= payload.size()) return std::nullopt;
        int h = hexValue(payload[i + 1]), l = hexValue(payload[i + 2]);
        if (h < 0 || l < 0) return std::nullopt;
        bytes += char(h * 16 + l);
        i += 2;
      } else {
        bytes += c;
      }
    }
  } else {
    return std::nullopt;
  }
  if (charset == "iso-8859-1" || charset == "latin1")
    bytes = latin1ToUtf8(bytes);
  else if (charset != "utf-8" && charset != "us-ascii")
    return std::nullopt;
  if (!isValidUtf8(bytes) || hasControl(bytes)) return std::nullopt;
  return bytes;
}

std::string decodeWords(std::string_view text) {
  std::string out;
  bool lastEncoded = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t wsEnd = text.find_first_not_of(" \t\r\n", i);
    if (wsEnd == std::string_view::npos) wsEnd = text.size();
    std::string_view ws = text.substr(i, wsEnd - i);
    size_t wordEnd = text.find_first_of(" \t\r\n", wsEnd);
    if (wordEnd == std::string_view::npos) wordEnd = text.size();
    std::string_view word = text.substr(wsEnd, wordEnd - wsEnd);
    auto decoded = word.empty() ? std::nullopt : decodeWord(word);
    if (decoded) {
      if (!lastEncoded) out += ws;  // RFC 2047 §6.2: space between encoded-words is dropped
      out += *decoded;
      lastEncoded = true;
    } else {
      out += ws;
      out += word;
      lastEncoded = false;
    }
    i = wordEnd;
  }
  return out;
}

std::string encodeParameter(std::string_view name, std::string_view value, size_t usedOnLine) {
  if (isAscii(value) && !hasControl(value)) {
    std::string quoted = std::string(name) + "=\"";
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    if (usedOnLine + 2 + quoted.size() <= kMaxLine) return "; " + quoted;
    if (1 + quoted.size() + 1 <= kMaxLine) return ";\r\n " + quoted;
  }
  // RFC 2231 §4: charset'language'percent-encoded, split into numbered continuations (§3).
  std::string encoded = "utf-8''";
  for (unsigned char c : value) {
    if (attrChar(c))
      encoded += char(c);
    else
      encoded += '%', encoded += kHex[c >> 4], encoded += kHex[c & 15];
  }
  std::string single = std::string(name) + "*=" + encoded;
  if (1 + single.size() + 1 <= kMaxLine) return ";\r\n " + single;
  std::string out;
  size_t pos = 0;
  for (int n = 0; pos < encoded.size(); ++n) {
    std::string head = std::string(name) + "*" + std::to_string(n) + "*=";
    size_t room = kMaxLine - 2 - head.size();  // leading SP and trailing ';'
    size_t end = std::min(encoded.size(), pos + room);
    // Never split a %XX triple (nor the charset'' prefix, which is shorter than a line), nor
    // a UTF-8 sequence: decoders such as Python's email package decode each section alone.
    if (end < encoded.size()) {
      if (end >= 1 && encoded[end - 1] == '%')
        end -= 1;
      else if (end >= 2 && encoded[end - 2] == '%')
        end -= 2;
      auto continuation = [&](size_t k) {
        int hi = k + 1 < encoded.size() && encoded[k] == '%' ? hexValue(encoded[k + 1]) : -1;
        return hi >= 8 && hi <= 11;  // %80-%BF
      };
      size_t cut = end;
      while (cut > pos + 3 && cut < encoded.size() && continuation(cut)) cut -= 3;
      if (cut > pos) end = cut;
    }
    out += ";\r\n " + head + encoded.substr(pos, end - pos);
    pos = end;
  }
  return out;
}

std::string foldHeader(std::string_view name, std::string_view value) {
  std::string out = std::string(name) + ":";
  size_t lineLen = out.size();
  bool first = true;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t sp = value.find(' ', pos);
    std::string_view seg = value.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
    // Each segment is written after one space: either on this line or, folded, after CRLF.
    if (!first && lineLen + 1 + seg.size() > kMaxLine && !seg.empty()) {
      out += "\r\n";
      lineLen = 0;
    }
    out += ' ';
    out += seg;
    lineLen += 1 + seg.size();
    first = false;
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  return out;
}

std::string formatDate(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace mailroom::compose
