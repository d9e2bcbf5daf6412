#include "operator/dns/providers/rfc2136/wire.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

namespace mailroom::dnspub::rfc2136 {

namespace {

constexpr size_t kMaxName = 255;
constexpr size_t kMaxLabel = 63;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> wire) : wire_(wire) {}
  size_t pos() const { return pos_; }
  bool u8(uint8_t& v) {
    if (pos_ + 1 > wire_.size()) return false;
    v = wire_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (pos_ + 2 > wire_.size()) return false;
    v = static_cast<uint16_t>(wire_[pos_] << 8 | wire_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    uint16_t hi, lo;
    if (!u16(hi) || !u16(lo)) return false;
    v = uint32_t{hi} << 16 | lo;
    return true;
  }
  bool bytes(size_t n, Bytes& out) {
    if (n > wire_.size() - pos_) return false;
    out.assign(wire_.begin() + static_cast<ptrdiff_t>(pos_),
               wire_.begin() + static_cast<ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }
  // A name at the current position, following compression pointers (RFC 1035 §4.1.4). Each
  // pointer must point backwards, which rules out loops.
  bool name(std::string& out) {
    out.clear();
    size_t at = pos_, total = 0;
    bool jumped = false;
    for (;;) {
      if (at >= wire_.size()) return false;
      uint8_t len = wire_[at];
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= wire_.size()) return false;
        size_t target = size_t{len & 0x3Fu} << 8 | wire_[at + 1];
        if (!jumped) pos_ = at + 2;
        if (target >= at) return false;
        jumped = true;
        at = target;
        continue;
      }
      if (len & 0xC0) return false;  // the reserved label types
      if (len == 0) {
        if (!jumped) pos_ = at + 1;
        return true;
      }
      if (at + 1 + len > wire_.size()) return false;
      total += len + 1;
      if (total + 1 > kMaxName) return false;
      if (!out.empty()) out += '.';
      for (size_t i = 0; i < len; ++i) appendEscaped(out, wire_[at + 1 + i]);
      at += 1 + len;
    }
  }

 private:
  static void appendEscaped(std::string& out, uint8_t c) {
    if (c == '.' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c > 0x20 && c < 0x7F) {
      out += static_cast<char>(std::tolower(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    }
  }
  std::span<const uint8_t> wire_;
  size_t pos_ = 0;
};

bool readRecord(Reader& r, ResourceRecord& rr) {
  uint16_t rdlen;
  return r.name(rr.name) && r.u16(rr.type) && r.u16(rr.cls) && r.u32(rr.ttl) && r.u16(rdlen) &&
         r.bytes(rdlen, rr.rdata);
}

Result<void> appendRecord(Bytes& out, const ResourceRecord& rr) {
  if (auto n = appendName(out, rr.name); !n) return n;
  if (rr.rdata.size() > 0xFFFF) return Error::invalidArgument("RDATA over 65535 octets");
  put16(out, rr.type);
  put16(out, rr.cls);
  put32(out, rr.ttl);
  put16(out, static_cast<uint16_t>(rr.rdata.size()));
  out.insert(out.end(), rr.rdata.begin(), rr.rdata.end());
  return {};
}

// One label of a presentation-form name, with \. \\ and \DDD escapes undone.
Result<Bytes> parseLabel(std::string_view text) {
  Bytes label;
  for (size_t i = 0; i < text.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(text[i]);
    if (c == '\\' && i + 3 < text.size() && std::isdigit(static_cast<uint8_t>(text[i + 1])) &&
        std::isdigit(static_cast<uint8_t>(text[i + 2])) &&
        std::isdigit(static_cast<uint8_t>(text[i + 3]))) {
      int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) return Error::invalidArgument("bad \\DDD escape in a name");
      label.push_back(static_cast<uint8_t>(v));
      i += 3;
    } else if (c == '\\' && i + 1 < text.size()) {
      label.push_back(static_cast<uint8_t>(text[++i]));
    } else if (c == '\\') {
      return Error::invalidArgument("a name ends in a lone backslash");
    } else {
      label.push_back(c);
    }
  }
  return label;
}

}  // namespace

void put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

std::string rcodeName(uint8_t rcode) {
  static const char* names[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  return rcode < std::size(names) ? names[rcode] : "RCODE" + std::to_string(rcode);
}

Result<void> appendName(Bytes& out, std::string_view name) {
  if (!name.empty() && name.back() == '.' && (name.size() < 2 || name[name.size() - 2] != '\\'))
    name.remove_suffix(1);
  size_t total = 1;
  size_t start = 0;
  while (start < name.size()) {
    size_t end = start;
    while (end < name.size() && name[end] != '.') end += name[end] == '\\' ? 2 : 1;
    end = std::min(end, name.size());
    auto label = parseLabel(name.substr(start, end - start));
    if (!label) return label.error();
    if (label->empty() || label->size() > kMaxLabel)
      return Error::invalidArgument("name " + std::string(name) + " has an empty or long label");
    total += label->size() + 1;
    out.push_back(static_cast<uint8_t>(label->size()));
    out.insert(out.end(), label->begin(), label->end());
    start = end + 1;
  }
  if (total > kMaxName) return Error::invalidArgument("name over 255 octets");
  out.push_back(0);
  return {};
}

Result<Bytes> encode(const Message& m) {
  Bytes out;
  put16(out, m.id);
  uint16_t flags = static_cast<uint16_t>((m.response ? 0x8000 : 0) | (m.opcode & 0xF) << 11 |
                                         (m.authoritative ? 0x0400 : 0) |
                                         (m.truncated ? 0x0200 : 0) | (m.rcode & 0xF));
  put16(out, flags);
  for (size_t n : {m.questions.size(), m.answers.size(), m.authority.size(), m.additional.size()}) {
    if (n > 0xFFFF) return Error::invalidArgument("over 65535 records in a section");
    put16(out, static_cast<uint16_t>(n));
  }
  for (const auto& q : m.questions) {
    if (auto n = appendName(out, q.name); !n) return n.error();
    put16(out, q.type);
    put16(out, q.cls);
  }
  for (const auto* section : {&m.answers, &m.authority, &m.additional})
    for (const auto& rr : *section)
      if (auto r = appendRecord(out, rr); !r) return r.error();
  return out;
}

Result<Message> decode(std::span<const uint8_t> wire) {
  Reader r(wire);
  Message m;
  uint16_t flags, counts[4];
  if (!r.u16(m.id) || !r.u16(flags)) return Error::invalidArgument("short DNS header");
  for (auto& c : counts)
    if (!r.u16(c)) return Error::invalidArgument("short DNS header");
  m.response = flags & 0x8000;
  m.opcode = (flags >> 11) & 0xF;
  m.authoritative = flags & 0x0400;
  m.truncated = flags & 0x0200;
  m.rcode = flags & 0xF;
  for (uint16_t i = 0; i < counts[0]; ++i) {
    Question q;
    if (!r.name(q.name) || !r.u16(q.type) || !r.u16(q.cls))
      return Error::invalidArgument("truncated question");
    m.questions.push_back(std::move(q));
  }
  std::vector<ResourceRecord>* sections[] = {&m.answers, &m.authority, &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s + 1]; ++i) {
      if (s == 2) m.lastAdditionalOffset = r.pos();
      ResourceRecord rr;
      if (!readRecord(r, rr)) return Error::invalidArgument("truncated resource record");
      sections[s]->push_back(std::move(rr));
    }
  }
  if (r.pos() != wire.size()) return Error::invalidArgument("trailing bytes after the message");
  return m;
}

Bytes encodeTxtRdata(std::string_view logical) {
  Bytes out;
  do {
    size_t n = std::min<size_t>(logical.size(), 255);
    out.push_back(static_cast<uint8_t>(n));
    out.insert(out.end(), logical.begin(), logical.begin() + static_cast<ptrdiff_t>(n));
    logical.remove_prefix(n);
  } while (!logical.empty());
  return out;
}

Result<std::string> decodeTxtRdata(std::span<const uint8_t> rdata) {
  std::string out;
  size_t at = 0;
  if (rdata.empty()) return Error::invalidArgument("empty TXT RDATA");
  while (at < rdata.size()) {
    size_t n = rdata[at];
    if (at + 1 + n > rdata.size()) return Error::invalidArgument("TXT string runs past RDATA");
    out.append(reinterpret_cast<const char*>(rdata.data() + at + 1), n);
    at += 1 + n;
  }
  return out;
}

}  // namespace mailroom::dnspub::rfc2136
