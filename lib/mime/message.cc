#include "lib/mime/message.h"

#include <bit>
#include <cctype>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace mailroom::mime {
namespace {

bool isFieldNameChar(unsigned char c) {
  return c >= 33 && c <= 126 && c != ':';
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string normalizeCrlf(std::string_view text) {
  // Copies spans between line breaks in bulk (memchr) rather than byte by byte: DKIM signing
  // runs this over every message body.
  if (text.empty()) return {};  // data() may be null: no pointer arithmetic on it below
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  const char* p = text.data();
  const char* end = p + text.size();
  const char* lf = p - 1;  // the next LF at or after p, or nullptr; found lazily so that
                           // runs of bare CRs do not rescan the rest of the text (linear time)
  while (p < end) {
    auto remaining = static_cast<size_t>(end - p);
    if (lf && lf < p) lf = static_cast<const char*>(std::memchr(p, '\n', remaining));
    const char* limit = lf ? lf : end;
    const char* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(limit - p)));
    const char* stop = cr ? cr : lf;
    if (!stop) {
      out.append(p, remaining);
      break;
    }
    out.append(p, static_cast<size_t>(stop - p));
    out += "\r\n";
    p = stop + 1;
    if (*stop == '\r' && p < end && *p == '\n') ++p;
  }
  return out;
}

namespace {

std::string unfoldedValue(std::string_view name, std::string_view raw) {
  std::string_view v(raw);
  v.remove_prefix(std::min(v.size(), name.size() + 1));
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n') continue;  // unfolding keeps the WSP that follows
    out += v[i];
  }
  size_t b = out.find_first_not_of(" \t");
  size_t e = out.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

}  // namespace

std::string HeaderField::value() const {
  return unfoldedValue(name, raw);
}

std::string HeaderFieldView::value() const {
  return unfoldedValue(name, raw);
}

const HeaderField* Message::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::vector<const HeaderField*> Message::findAll(std::string_view name) const {
  std::vector<const HeaderField*> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(&h);
  return out;
}

size_t MessageView::find(std::string_view name) const {
  for (size_t i = 0; i < headers.size(); ++i)
    if (iequals(headers[i].name, name)) return i;
  return npos;
}

namespace {

// The next CR or LF at or after p, or end. Header lines are short and there is one search per
// line, so 16 bytes per step (SSE2, always there on x86-64) beat two memchr calls.
const char* findCrOrLf(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
    if (m) return p + std::countr_zero(static_cast<unsigned>(m));
  }
#endif
  for (; p < end; ++p)
    if (*p == '\r' || *p == '\n') return p;
  return end;
}

Error lineError(int lineNo, std::string_view what) {
  return Error::invalidArgument("header line " + std::to_string(lineNo) + ": " + std::string(what));
}

// Splits text into out when its header section ends every line with CRLF. Returns false, with
// nothing decided, at the first bare CR or LF before the body: the caller normalizes and
// splits again. Lines before that one are the same in the normalized text, so an error found
// here is the error the normalized text gives.
Result<bool> splitCrlf(std::string_view text, MessageView& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* p = begin;
  int lineNo = 0;
  while (p < end) {
    const char* eol = findCrOrLf(p, end);
    const char* next = end;
    if (eol < end) {
      if (*eol != '\r' || eol + 1 == end || eol[1] != '\n') return false;
      next = eol + 2;
    }
    std::string_view line(p, static_cast<size_t>(eol - p));
    ++lineNo;
    if (line.empty()) {
      out.body = std::string_view(next, static_cast<size_t>(end - next));
      return true;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (out.headers.empty())
        return lineError(lineNo, "continuation line before any header field");
      // The field's earlier lines end with CRLF right before this one: one contiguous span.
      std::string_view& raw = out.headers.back().raw;
      raw = std::string_view(raw.data(), static_cast<size_t>(eol - raw.data()));
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return lineError(lineNo, "not a header field (no field name and colon)");
      std::string_view name = line.substr(0, colon);
      // RFC 5322 obsolete syntax allows WSP before the colon; accept and drop it from the name.
      size_t nameEnd = name.find_last_not_of(" \t");
      name = name.substr(0, nameEnd + 1);
      for (unsigned char c : name) {
        if (!isFieldNameChar(c)) return lineError(lineNo, "invalid character in field name");
      }
      out.headers.push_back({name, line});
    }
    p = next;
  }
  return true;  // headers only, no body
}

}  // namespace

Result<MessageView> parseMessageView(std::string_view raw, std::string& storage) {
  MessageView view;
  view.headers.reserve(16);
  auto split = splitCrlf(raw, view);
  if (!split) return split.error();
  if (*split) return view;
  storage = normalizeCrlf(raw);
  view.headers.clear();
  view.body = {};
  split = splitCrlf(storage, view);
  if (!split) return split.error();
  return view;  // normalized text has no bare line end: *split is true
}

MessageView viewOf(const Message& message) {
  MessageView view;
  view.headers.reserve(message.headers.size());
  for (const auto& h : message.headers) view.headers.push_back({h.name, h.raw});
  view.body = message.body;
  return view;
}

Result<Message> parseMessage(std::string_view raw) {
  std::string storage;
  auto view = parseMessageView(raw, storage);
  if (!view) return view.error();
  Message msg;
  msg.headers.reserve(view->headers.size());
  for (const auto& h : view->headers)
    msg.headers.push_back({std::string(h.name), std::string(h.raw)});
  // Normalizing the body alone gives the same bytes as normalizing the whole message: the body
  // starts right after a CRLF.
  msg.body = normalizeCrlf(view->body);
  return msg;
}

std::string render(const Message& message) {
  std::string out;
  for (const auto& h : message.headers) {
    out += h.raw;
    out += "\r\n";
  }
  out += "\r\n";
  out += message.body;
  return out;
}

}  // namespace mailroom::mime
