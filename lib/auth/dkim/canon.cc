#include "lib/auth/dkim/canon.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace mailroom::dkim {
namespace {

// High bit set in each byte of x equal to the byte repeated in pattern (exact, no false hits).
uint64_t byteMask(uint64_t x, uint64_t pattern) {
  constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7full;
  uint64_t y = x ^ pattern;
  return ~(((y & k7f) + k7f) | y | k7f);
}

bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

void simpleBody(std::string_view body, const BodySink& sink) {
  // Everything up to the end of the last non-empty line, then its CRLF (added if missing);
  // an empty body (or only empty lines) is a single CRLF (§3.4.3).
  size_t end = body.size();
  while (end >= 2 && body.substr(0, end).ends_with("\r\n")) {
    if (end == 2 || body.substr(0, end - 2).ends_with("\r\n")) {
      end -= 2;  // an empty line
    } else {
      break;
    }
  }
  std::string_view kept = body.substr(0, end);
  if (kept.empty()) {
    sink("\r\n");
    return;
  }
  sink(kept);
  if (!kept.ends_with("\r\n")) sink("\r\n");
}

void relaxedBody(std::string_view body, const BodySink& sink) {
  // Output goes through a fixed buffer written by raw pointer (this loop is the per-byte hot
  // path of signing large messages) and is handed to the sink in chunks.
  char buf[8192];
  char* w = buf;
  auto room = [&](size_t n) {
    if (static_cast<size_t>(buf + sizeof buf - w) < n) {
      sink(std::string_view(buf, static_cast<size_t>(w - buf)));
      w = buf;
    }
  };
  size_t pendingEmpty = 0;  // empty lines seen but not yet known to be followed by text
  const char* p = body.data();
  const char* end = p + body.size();
  while (p < end) {
    const char* eol = p;
    while (true) {  // the next CRLF (a lone CR is ordinary line content)
      eol = static_cast<const char*>(std::memchr(eol, '\r', static_cast<size_t>(end - eol)));
      if (!eol) {
        eol = end;
        break;
      }
      if (eol + 1 < end && eol[1] == '\n') break;
      ++eol;
    }
    const char* next = eol < end ? eol + 2 : end;
    // WSP at the end of the line goes; a line left empty is held back until text follows,
    // so trailing empty lines are never emitted (§3.4.4).
    const char* last = eol;
    while (last > p && isWsp(last[-1])) --last;
    if (last == p) {
      ++pendingEmpty;
      p = next;
      continue;
    }
    for (; pendingEmpty; --pendingEmpty) {
      room(2);
      *w++ = '\r', *w++ = '\n';
    }
    bool inWsp = false;  // inside a WSP run whose single SP is not written yet
    while (p < last) {
      room(18);  // one round below writes at most 9 bytes (fast) or 16 (slow)
      // Fast path: 8 bytes without HTAB and without two adjacent SPs are copied as they are
      // (ordinary text); anything else goes through the byte loop below.
      if constexpr (std::endian::native == std::endian::little) {
        if (last - p >= 8) {
          uint64_t x;
          std::memcpy(&x, p, 8);
          uint64_t sp = byteMask(x, 0x2020202020202020ull);
          if (!byteMask(x, 0x0909090909090909ull) && !(sp & (sp << 8)) && !(inWsp && (sp & 0x80))) {
            if (inWsp) *w++ = ' ';
            std::memcpy(w, p, 8);
            w += 8;
            p += 8;
            inWsp = false;
            if (sp >> 63) {  // ends with SP: take it back, the run may continue
              --w;
              inWsp = true;
            }
            continue;
          }
        }
      }
      for (const char* stop = std::min(p + 8, last); p < stop; ++p) {
        char c = *p;
        if (c == ' ' || c == '\t') {
          inWsp = true;
          continue;
        }
        if (inWsp) *w++ = ' ';
        inWsp = false;
        *w++ = c;
      }
    }
    room(2);
    *w++ = '\r', *w++ = '\n';
    p = next;
  }
  if (w > buf) sink(std::string_view(buf, static_cast<size_t>(w - buf)));
}

}  // namespace

std::string canonicalizeHeader(Canon canon, std::string_view rawField) {
  if (canon == Canon::kSimple) {
    std::string out;
    out.reserve(rawField.size() + 2);
    out.append(rawField);
    out += "\r\n";
    return out;
  }
  size_t colon = rawField.find(':');
  std::string_view name = rawField.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : rawField.substr(colon + 1);
  // Never longer than the input plus ':' and CRLF; written through a raw pointer.
  std::string out(rawField.size() + 3, '\0');
  char* w = out.data();
  // Field name: lower case, WSP before the colon removed (§3.4.2).
  size_t nameEnd = name.find_last_not_of(" \t");
  name = nameEnd == std::string_view::npos ? std::string_view() : name.substr(0, nameEnd + 1);
  for (char c : name) *w++ = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  *w++ = ':';
  // Value: unfold (drop CR/LF), WSP runs -> one SP, no WSP at either end.
  bool pendingSpace = false;
  bool any = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;
    if (isWsp(c)) {
      pendingSpace = any;
      continue;
    }
    if (pendingSpace) *w++ = ' ';
    pendingSpace = false;
    any = true;
    *w++ = c;
  }
  *w++ = '\r', *w++ = '\n';
  out.resize(static_cast<size_t>(w - out.data()));
  return out;
}

void canonicalizeBody(Canon canon, std::string_view body, const BodySink& sink) {
  if (canon == Canon::kSimple) {
    simpleBody(body, sink);
  } else {
    relaxedBody(body, sink);
  }
}

std::string canonicalizeBody(Canon canon, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  canonicalizeBody(canon, body, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

}  // namespace mailroom::dkim
