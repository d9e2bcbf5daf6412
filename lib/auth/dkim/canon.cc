#include "lib/auth/dkim/canon.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace mailroom::dkim {
namespace {

bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

// How many bytes the fast paths look at per step (they also read the byte after them).
#ifdef __SSE2__
constexpr size_t kBlock = 16;
#else
constexpr size_t kBlock = 8;
#endif
static_assert(kBlock <= kCanonicalHeaderSlack);

// The number of leading bytes of p[0, kBlock) that canonicalization leaves as they are, given
// that no WSP run is pending before p; reads p[0, kBlock] (one byte more). A byte is plain
// unless it is CR, LF or (relaxed) HTAB, or an SP followed by WSP, CR or LF: so a plain SP is
// followed by text, and a run of plain bytes never ends a line or a WSP run. Everything that is
// not plain (and, being conservative costs only speed, some bytes that are) goes through the
// byte-at-a-time state machine.
template <bool kRelaxed>
[[gnu::always_inline]] inline size_t plainPrefix(const char* p) {
#ifdef __SSE2__
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i special;
  if constexpr (kRelaxed) {
    // Conservatively: any byte <= SP except a SP followed by a byte > SP. HTAB, CR, LF and SP
    // are all <= 0x20; other control characters (rare in mail) just take the slow path.
    const __m128i sp = _mm_set1_epi8(' ');
    __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, sp), v);
    __m128i nextLow = _mm_cmpeq_epi8(_mm_min_epu8(next, sp), next);
    __m128i plainSp = _mm_andnot_si128(nextLow, _mm_cmpeq_epi8(v, sp));
    special = _mm_andnot_si128(plainSp, low);
  } else {
    special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                           _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
  }
  auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
  return mask ? static_cast<size_t>(std::countr_zero(mask)) : kBlock;
#else
  // SWAR: the high bit of each byte of eq(x, c) is set where x's byte equals c (exact).
  auto eq = [](uint64_t x, char c) {
    constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7full;
    uint64_t y = x ^ (0x0101010101010101ull * static_cast<unsigned char>(c));
    return ~(((y & k7f) + k7f) | y | k7f);
  };
  uint64_t x, next;
  std::memcpy(&x, p, 8);
  std::memcpy(&next, p + 1, 8);
  if constexpr (std::endian::native == std::endian::big) {
    x = __builtin_bswap64(x);
    next = __builtin_bswap64(next);
  }
  uint64_t special = eq(x, '\r') | eq(x, '\n');
  if constexpr (kRelaxed) {
    // As above: bytes <= SP, except a SP followed by a byte > SP.
    auto low = [](uint64_t y) {
      constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7full, k80 = 0x8080808080808080ull;
      return ~((((y & k7f) + 0x5f5f5f5f5f5f5f5full) | y) & k80) & k80;
    };
    special = low(x) & ~(eq(x, ' ') & ~low(next));
  }
  return special ? static_cast<size_t>(std::countr_zero(special)) / 8 : kBlock;
#endif
}

}  // namespace

BodyCanonicalizer::BodyCanonicalizer(Canon canon, BodySink sink, LineEnds lineEnds)
    : sink_(std::move(sink)),
      relaxed_(canon == Canon::kRelaxed),
      anyLineEnd_(lineEnds == LineEnds::kAny) {}

void BodyCanonicalizer::flush() {
  if (used_) sink_(std::string_view(buf_, used_));
  used_ = 0;
}

// The state machine with its state in locals (writes through char* into buf_ would otherwise
// make the compiler reload every member after each byte); one instance per mode so the mode
// tests vanish from the per-byte loop.
template <bool kRelaxed, bool kAny>
struct BodyCanonicalizer::Run {
  BodyCanonicalizer& c;
  char* w = c.buf_ + c.used_;
  size_t emptyLines = c.emptyLines_;
  bool inLine = c.inLine_, wsp = c.wsp_, cr = c.cr_, skipLf = c.skipLf_, wroteAny = c.wroteAny_;

  ~Run() {
    c.used_ = static_cast<size_t>(w - c.buf_);
    c.emptyLines_ = emptyLines;
    c.inLine_ = inLine, c.wsp_ = wsp, c.cr_ = cr, c.skipLf_ = skipLf, c.wroteAny_ = wroteAny;
  }
  void room(size_t n) {
    if (static_cast<size_t>(c.buf_ + kChunk - w) < n) {
      c.sink_(std::string_view(c.buf_, static_cast<size_t>(w - c.buf_)));
      w = c.buf_;
    }
  }
  void crlf() {
    room(2);
    *w++ = '\r', *w++ = '\n';
  }
  // The first content of a line: the empty lines held back before it were inner ones.
  void startLine() {
    for (; emptyLines; --emptyLines) crlf();
    inLine = wroteAny = true;
  }
  void content(char ch) {
    if (!inLine) startLine();
    room(2);
    if (wsp) *w++ = ' ';
    wsp = false;
    *w++ = ch;
  }
  void endLine() {
    if (inLine) {
      crlf();
    } else {
      ++emptyLines;  // held back: trailing empty lines are never written (§3.4.3, §3.4.4)
    }
    inLine = wsp = false;
  }

  [[gnu::always_inline]] void update(const char* p, const char* end) {
    while (p < end) {
      if (!wsp && !cr && !skipLf) {
        while (static_cast<size_t>(end - p) > kBlock) {
          size_t n = plainPrefix<kRelaxed>(p);
          if (!n) break;
          if (!inLine) startLine();  // a non-empty plain run holds text: the line is not empty
          room(kBlock);
          std::memcpy(w, p, kBlock);  // the whole block (fixed size, cheap), keep n of it
          w += n;
          p += n;
          if (n < kBlock) break;  // the next byte is not plain
        }
        if (p == end) break;
        // The usual specials without the per-byte state machine: a WSP run followed by text
        // (one SP), and a CRLF, with or without a WSP run before it (dropped).
        const char* q = p;
        if constexpr (kRelaxed)
          while (q < end && isWsp(*q)) ++q;
        if (end - q >= 2 && q[0] == '\r' && q[1] == '\n') {
          endLine();
          p = q + 2;
          continue;
        }
        if (q != p && q < end && *q != '\r' && *q != '\n') {
          if (!inLine) startLine();
          room(1);
          *w++ = ' ';
          p = q;
          continue;
        }
      }
      char ch = *p++;
      if constexpr (kAny) {
        if (skipLf) {
          skipLf = false;
          if (ch == '\n') continue;
        }
        if (ch == '\r' || ch == '\n') {
          endLine();
          skipLf = ch == '\r';
          continue;
        }
      } else {
        if (cr) {
          cr = false;
          if (ch == '\n') {
            endLine();
            continue;
          }
          content('\r');  // a lone CR is line content
        }
        if (ch == '\r') {
          cr = true;
          continue;
        }
      }
      if (kRelaxed && isWsp(ch)) {
        wsp = true;  // WSP runs become one SP, and none at the end of a line (§3.4.4)
        continue;
      }
      content(ch);
    }
  }

  [[gnu::always_inline]] void finish() {
    if (cr) content('\r');
    cr = skipLf = false;
    if (inLine) {
      crlf();  // a last line without CRLF gets one
      inLine = wsp = false;
    }
    if (!kRelaxed && !wroteAny) crlf();  // simple: an empty body is one CRLF (§3.4.3)
    wroteAny = true;
  }
};

void BodyCanonicalizer::update(std::string_view piece) {
  const char* p = piece.data();
  const char* end = p + piece.size();
  if (relaxed_) {
    if (anyLineEnd_) {
      Run<true, true>{*this}.update(p, end);
    } else {
      Run<true, false>{*this}.update(p, end);
    }
  } else {
    if (anyLineEnd_) {
      Run<false, true>{*this}.update(p, end);
    } else {
      Run<false, false>{*this}.update(p, end);
    }
  }
}

void BodyCanonicalizer::finish() {
  if (relaxed_) {
    Run<true, false>{*this}.finish();  // finish does not depend on the line-end mode
  } else {
    Run<false, false>{*this}.finish();
  }
  flush();
}

char* canonicalizeHeaderTo(char* w, Canon canon, std::string_view rawField) {
  if (canon == Canon::kSimple) {
    std::memcpy(w, rawField.data(), rawField.size());
    w += rawField.size();
    *w++ = '\r', *w++ = '\n';
    return w;
  }
  size_t colon = rawField.find(':');
  std::string_view name = rawField.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : rawField.substr(colon + 1);
  // Field name: lower case, WSP before the colon removed (§3.4.2).
  while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
#ifdef __SSE2__
  // 16 bytes at a time (whole blocks written: the caller leaves slack), zero padded at the end
  // of the field.
  for (size_t i = 0; i < name.size(); i += 16) {
    __m128i v;
    if (rawField.size() - i >= 16) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(name.data() + i));
    } else {
      char block[16] = {};
      std::memcpy(block, name.data() + i, name.size() - i);
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
    }
    // 'A'..'Z' are the bytes below -128 + 26 once 'A' + 128 is taken off (wrapping).
    __m128i upper = _mm_cmplt_epi8(_mm_sub_epi8(v, _mm_set1_epi8(static_cast<char>('A' + 128))),
                                   _mm_set1_epi8(static_cast<char>(-128 + 26)));
    v = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);
    w += std::min<size_t>(16, name.size() - i);
  }
#else
  for (char c : name) *w++ = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
#endif
  *w++ = ':';
  // Value: unfold (drop CR/LF), WSP runs -> one SP, no WSP at either end.
  bool any = false;  // text written already
  const char* p = value.data();
  const char* end = p + value.size();
  auto isBreak = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (p < end) {
    if (isBreak(*p)) {  // a run of WSP and folding CRLFs: one SP if it has WSP and text follows
      bool wsp = false;
      do {
        wsp |= isWsp(*p);
        ++p;
      } while (p < end && isBreak(*p));
      if (p < end && wsp && any) *w++ = ' ';
      continue;
    }
    // Text: a plain run (see plainPrefix) copied a whole block at a time (the caller leaves
    // kBlock bytes of slack), n of it kept; at least this byte, which is text either way.
    size_t n;
    if (static_cast<size_t>(end - p) > kBlock) {
      n = plainPrefix<true>(p);
      std::memcpy(w, p, kBlock);
    } else {
      char block[kBlock + 1] = {};  // zero padded: a NUL is never plain
      std::memcpy(block, p, static_cast<size_t>(end - p));
      n = plainPrefix<true>(block);
      std::memcpy(w, block, kBlock);
    }
    n = std::max<size_t>(n, 1);
    w += n;
    p += n;
    any = true;
  }
  *w++ = '\r', *w++ = '\n';
  return w;
}

void appendCanonicalHeader(std::string& out, Canon canon, std::string_view rawField) {
  size_t start = out.size();
  out.resize(start + canonicalHeaderBound(rawField.size()));
  char* end = canonicalizeHeaderTo(out.data() + start, canon, rawField);
  out.resize(static_cast<size_t>(end - out.data()));
}

std::string canonicalizeHeader(Canon canon, std::string_view rawField) {
  std::string out;
  out.reserve(rawField.size() + 3);
  appendCanonicalHeader(out, canon, rawField);
  return out;
}

void canonicalizeBody(Canon canon, std::string_view body, const BodySink& sink) {
  BodyCanonicalizer canonicalizer(canon, sink);
  canonicalizer.update(body);
  canonicalizer.finish();
}

std::string canonicalizeBody(Canon canon, std::string_view body) {
  std::string out;
  out.reserve(body.size() + 2);
  canonicalizeBody(canon, body, [&](std::string_view chunk) { out.append(chunk); });
  return out;
}

}  // namespace mailroom::dkim
