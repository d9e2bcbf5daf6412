#include "sidecar/compose/compose.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "lib/mime/message.h"
#include "sidecar/compose/address.h"
#include "sidecar/compose/body.h"
#include "sidecar/compose/encoding.h"

namespace mailroom::compose {
namespace {

Error invalid(const std::string& field, const std::string& what) {
  return Error::invalidArgument(field + ": " + what);
}

std::function<uint64_t()> randomSource(const Options& o) {
  if (o.random) return o.random;
  return [] {
    thread_local std::mt19937_64 gen{(uint64_t(std::random_device{}()) << 32) ^
                                     std::random_device{}()};
    return gen();
  };
}

// Header injection guard for every structured value (DESIGN: bad input gets a clear error).
Result<void> checkValue(const std::string& field, std::string_view v) {
  if (v.find_first_of("\r\n") != std::string_view::npos)
    return invalid(field, "CR or LF not allowed");
  if (v.find('\0') != std::string_view::npos) return invalid(field, "NUL not allowed");
  if (!isValidUtf8(v)) return invalid(field, "not valid UTF-8");
  return {};
}

std::string quoteName(std::string_view n) {
  return "[\"" + std::string(n) + "\"]";
}

// Envelope and derived facts shared by both intake paths.
struct Envelope {
  std::string mailFrom;
  std::vector<std::string> recipients;
  bool utf8 = false;
};

// Adds a recipient unless already present: local parts compare exactly (RFC 5321 §2.4 leaves
// them to the receiving host), domains are already lower-cased A-labels.
void addRecipient(Envelope& env, const Mailbox& m) {
  std::string a = m.address();
  for (const auto& r : env.recipients)
    if (r == a) return;
  env.recipients.push_back(std::move(a));
  env.utf8 = env.utf8 || m.utf8LocalPart();
}

// A header address must also be a valid RFC 5321 envelope address (no tabs in quoted local
// parts, no comments): re-parse its rendered form.
Result<Mailbox> asEnvelope(const std::string& field, const Mailbox& m) {
  auto e = parseEnvelopeAddress(m.address());
  if (!e.ok()) return invalid(field, m.address() + ": " + e.error().message);
  return e;
}

Result<Envelope> explicitEnvelope(const EnvelopeInput& in, const Mailbox& from) {
  Envelope env;
  if (in.hasMailFrom) {
    if (!in.mailFrom.empty() && in.mailFrom != "<>") {
      auto m = parseEnvelopeAddress(in.mailFrom);
      if (!m.ok()) return invalid("envelope.mailFrom", m.error().message);
      env.mailFrom = m->address();
      env.utf8 = m->utf8LocalPart();
    }
  } else {
    auto m = asEnvelope("from", from);
    if (!m.ok()) return m.error();
    env.mailFrom = m->address();
    env.utf8 = m->utf8LocalPart();
  }
  for (size_t i = 0; i < in.rcptTo.size(); ++i) {
    auto m = parseEnvelopeAddress(in.rcptTo[i]);
    if (!m.ok()) return invalid("envelope.rcptTo[" + std::to_string(i) + "]", m.error().message);
    addRecipient(env, *m);
  }
  return env;
}

bool headerUtf8(const std::vector<Mailbox>& list) {
  for (const auto& m : list)
    if (m.utf8LocalPart()) return true;
  return false;
}

Result<std::string> messageIdFor(const Options& o, const std::function<uint64_t()>& random) {
  if (o.hostname.empty()) return invalid("options.hostname", "required for Message-ID");
  auto host = normalizeDomain(o.hostname);
  if (!host.ok()) return invalid("options.hostname", host.error().message);
  char buf[40];
  uint64_t hi = random(), lo = random();  // two statements: argument order is unspecified
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return "<" + std::string(buf) + "@" + *host + ">";
}

Result<void> checkSize(size_t size, const Options& o) {
  if (o.maxMessageBytes && size > o.maxMessageBytes)
    return invalid("message", std::to_string(size) + " bytes exceeds the limit of " +
                                  std::to_string(o.maxMessageBytes));
  return {};
}

bool isFieldName(std::string_view n) {
  if (n.empty()) return false;
  for (unsigned char c : n)
    if (c < 33 || c > 126 || c == ':') return false;  // RFC 5322 §3.6.8 ftext
  return true;
}

// Fields the structured API sets itself; accepting them as extras would produce duplicates
// or contradict the MIME structure.
bool reservedField(std::string_view n) {
  static constexpr std::string_view kReserved[] = {"From",     "To",      "Cc",   "Bcc",
                                                   "Reply-To", "Subject", "Date", "MIME-Version"};
  for (auto r : kReserved)
    if (mime::iequals(n, r)) return true;
  return n.size() >= 8 && mime::iequals(n.substr(0, 8), "Content-");
}

Result<std::vector<AddressEntry>> parseListField(const std::string& field, std::string_view v) {
  if (auto c = checkValue(field, v); !c.ok()) return c.error();
  auto l = parseAddressList(v);
  if (!l.ok()) return invalid(field, l.error().message);
  return l;
}

std::string addressHeader(std::string_view name, const std::vector<AddressEntry>& list) {
  return std::string(name) + ": " + renderAddressList(list, true, name.size() + 2) + "\r\n";
}

size_t longestLine(std::string_view s) {
  size_t longest = 0;
  for (size_t pos = 0; pos <= s.size();) {
    size_t eol = s.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = s.size();
    longest = std::max(longest, eol - pos);
    pos = eol + 2;
  }
  return longest;
}

Result<std::string> extraHeader(const std::string& name, const std::string& value) {
  std::string field = "headers" + quoteName(name);
  if (!isFieldName(name)) return invalid(field, "invalid header field name");
  if (auto c = checkValue(field, value); !c.ok()) return c.error();
  if (reservedField(name)) return invalid(field, "set by the structured fields, not allowed here");
  std::string out =
      isAscii(value) ? foldHeader(name, value) : name + ": " + encodeWords(value, name.size() + 2);
  if (longestLine(out) > 998) return invalid(field, "a line over 998 octets that cannot be folded");
  return out + "\r\n";
}

}  // namespace

Result<Composed> composeStructured(const Structured& in, const EnvelopeInput& envelope,
                                   const Options& options) {
  auto random = randomSource(options);
  if (in.from.empty()) return invalid("from", "required");
  if (auto c = checkValue("from", in.from); !c.ok()) return c.error();
  auto from = parseMailbox(in.from);
  if (!from.ok()) return invalid("from", from.error().message);

  std::vector<AddressEntry> replyTo, to, cc;
  std::vector<Mailbox> headerRecipients;
  bool utf8 = from->utf8LocalPart();
  if (!in.replyTo.empty()) {
    auto l = parseListField("replyTo", in.replyTo);
    if (!l.ok()) return l.error();
    replyTo = std::move(*l);
    utf8 = utf8 || headerUtf8(mailboxesOf(replyTo));
  }
  struct Src {
    const char* name;
    const std::vector<std::string>* values;
    std::vector<AddressEntry>* into;
  };
  std::vector<AddressEntry> bcc;
  std::vector<std::pair<std::string, Mailbox>> derived;  // (field, mailbox) for envelope
  for (Src s : {Src{"to", &in.to, &to}, Src{"cc", &in.cc, &cc}, Src{"bcc", &in.bcc, &bcc}}) {
    for (size_t i = 0; i < s.values->size(); ++i) {
      std::string field = std::string(s.name) + "[" + std::to_string(i) + "]";
      auto l = parseListField(field, (*s.values)[i]);
      if (!l.ok()) return l.error();
      for (const auto& m : mailboxesOf(*l)) derived.emplace_back(field, m);
      s.into->insert(s.into->end(), l->begin(), l->end());
    }
  }

  auto env = explicitEnvelope(envelope, *from);
  if (!env.ok()) return env.error();
  if (envelope.rcptTo.empty()) {
    for (const auto& [field, m] : derived) {
      auto e = asEnvelope(field, m);
      if (!e.ok()) return e.error();
      addRecipient(*env, *e);
    }
  }
  if (env->recipients.empty())
    return invalid("to", "no recipients (to, cc, bcc and envelope.rcptTo are all empty)");
  for (const auto& [field, m] : derived) utf8 = utf8 || m.utf8LocalPart();

  if (auto c = checkValue("subject", in.subject); !c.ok()) return c.error();
  if (!isValidUtf8(in.text)) return invalid("text", "not valid UTF-8");
  if (!isValidUtf8(in.html)) return invalid("html", "not valid UTF-8");
  for (size_t i = 0; i < in.attachments.size(); ++i) {
    const auto& a = in.attachments[i];
    std::string f = "attachments[" + std::to_string(i) + "]";
    for (auto [name, v] :
         {std::pair{".filename", &a.filename}, std::pair{".contentType", &a.contentType},
          std::pair{".contentId", &a.contentId}})
      if (auto c = checkValue(f + name, *v); !c.ok()) return c.error();
  }

  auto messageId = messageIdFor(options, random);
  if (!messageId.ok()) return messageId.error();

  std::string head = "Date: " + formatDate(options.now) + "\r\n";
  head += addressHeader("From", {{false, "", {*from}}});
  if (!replyTo.empty()) head += addressHeader("Reply-To", replyTo);
  if (!to.empty()) head += addressHeader("To", to);
  if (!cc.empty()) head += addressHeader("Cc", cc);
  // RFC 5322 §3.6.3: with only blind recipients, an empty group keeps To meaningful.
  if (to.empty() && cc.empty()) head += "To: undisclosed-recipients:;\r\n";
  if (!in.subject.empty()) {
    // Encoded-words also for ASCII that a reader would decode ("=?") and for words too long
    // to fold within 998 octets: encoded-words can always be split.
    std::string folded = foldHeader("Subject", in.subject);
    bool encode = !isAscii(in.subject) || in.subject.find("=?") != std::string::npos ||
                  longestLine(folded) > 998;
    head += (encode ? "Subject: " + encodeWords(in.subject, 9) : folded) + "\r\n";
  }
  std::string id = *messageId;
  std::string extras;
  for (const auto& [name, value] : in.headers) {
    if (mime::iequals(name, "Message-ID")) {
      // Callers may set their own (e.g. for idempotent retries); it must look like msg-id.
      std::string field = "headers" + quoteName(name);
      if (auto c = checkValue(field, value); !c.ok()) return c.error();
      if (value.size() < 5 || value.front() != '<' || value.back() != '>' ||
          value.find('@') == std::string::npos || value.find_first_of(" \t") != std::string::npos)
        return invalid(field, "must look like <id@domain>");
      id = value;
      continue;
    }
    auto h = extraHeader(name, value);
    if (!h.ok()) return h.error();
    extras += *h;
  }
  head += "Message-ID: " + id + "\r\n";
  head += extras;
  head += "MIME-Version: 1.0\r\n";

  auto body = buildBody(in, random);
  if (!body.ok()) return body.error();

  Composed out;
  out.message = std::move(head);
  out.message += body->headers;
  out.message += "\r\n";
  out.message += body->body;
  if (auto s = checkSize(out.message.size(), options); !s.ok()) return s.error();
  out.mailFrom = env->mailFrom;
  out.recipients = std::move(env->recipients);
  out.fromDomain = from->domain;
  out.messageId = id;
  out.needsSmtpUtf8 = utf8 || env->utf8;
  out.eightBit = false;  // structured bodies are always 7bit, quoted-printable or base64
  return out;
}

Result<Composed> composeRaw(std::string_view raw, const EnvelopeInput& envelope,
                            const Options& options) {
  auto random = randomSource(options);
  if (size_t nul = raw.find('\0'); nul != std::string_view::npos)
    return invalid("raw", "NUL byte at offset " + std::to_string(nul));
  auto parsed = mime::parseMessage(raw);
  if (!parsed.ok()) return invalid("raw", parsed.error().message);
  mime::Message msg = std::move(*parsed);

  bool utf8 = false;
  for (const auto& h : msg.headers) {
    std::string field = "raw." + h.name;
    if (!isAscii(h.raw)) {
      if (!isValidUtf8(h.raw)) return invalid(field, "not valid UTF-8 (RFC 6532)");
      utf8 = true;
    }
  }
  // RFC 5322 §3.6: these fields may occur at most once.
  for (std::string_view name : {"From", "Sender", "Reply-To", "To", "Cc", "Date", "Message-ID",
                                "Subject", "In-Reply-To", "References"}) {
    size_t n = msg.findAll(name).size();
    if (n > 1)
      return invalid("raw." + std::string(name),
                     "appears " + std::to_string(n) + " times (at most once, RFC 5322 §3.6)");
  }
  const mime::HeaderField* fromField = msg.find("From");
  if (!fromField) return invalid("raw.From", "missing (required by RFC 5322 §3.6)");
  auto fromList = parseAddressList(fromField->value());
  if (!fromList.ok()) return invalid("raw.From", fromList.error().message);
  auto fromBoxes = mailboxesOf(*fromList);
  // DMARC (RFC 7489 §6.6.1) needs one author domain; several authors would need Sender too.
  if (fromBoxes.size() != 1 || (*fromList)[0].isGroup)
    return invalid("raw.From", "exactly one mailbox required");

  auto env = explicitEnvelope(envelope, fromBoxes[0]);
  if (!env.ok()) {
    // The From field is named as it appears in the raw message.
    std::string m = env.error().message;
    if (m.rfind("from: ", 0) == 0) m = "raw.From: " + m.substr(6);
    return Error::invalidArgument(m);
  }
  if (envelope.rcptTo.empty()) {
    for (std::string_view name : {"To", "Cc", "Bcc"}) {
      for (const auto* h : msg.findAll(name)) {
        std::string field = "raw." + std::string(name);
        std::string v = h->value();
        if (v.find_first_not_of(" \t") == std::string::npos) continue;  // "Bcc:" may be empty
        auto l = parseAddressList(v);
        if (!l.ok()) return invalid(field, l.error().message);
        for (const auto& m : mailboxesOf(*l)) {
          auto e = asEnvelope(field, m);
          if (!e.ok()) return e.error();
          addRecipient(*env, *e);
        }
      }
    }
  }
  if (env->recipients.empty())
    return invalid("raw.To", "no recipients (To, Cc, Bcc and envelope.rcptTo are all empty)");

  std::vector<mime::HeaderField> headers;
  std::string messageId;
  if (!msg.find("Date")) headers.push_back({"Date", "Date: " + formatDate(options.now)});
  if (const auto* id = msg.find("Message-ID")) {
    messageId = id->value();
  } else {
    auto generated = messageIdFor(options, random);
    if (!generated.ok()) return generated.error();
    messageId = *generated;
    headers.push_back({"Message-ID", "Message-ID: " + messageId});
  }
  for (auto& h : msg.headers)
    if (!mime::iequals(h.name, "Bcc")) headers.push_back(std::move(h));  // RFC 5322 §3.6.3
  msg.headers = std::move(headers);

  Composed out;
  out.message = mime::render(msg);
  // RFC 5322 §2.1.1: lines longer than 998 octets are not allowed; SMTP servers reject them.
  size_t lineNo = 1, start = 0;
  for (size_t pos = out.message.find("\r\n"); pos != std::string::npos;
       pos = out.message.find("\r\n", start)) {
    if (pos - start > 998)
      return invalid("raw", "line " + std::to_string(lineNo) + " is longer than 998 octets");
    start = pos + 2;
    ++lineNo;
  }
  if (out.message.size() - start > 998)
    return invalid("raw", "line " + std::to_string(lineNo) + " is longer than 998 octets");
  if (auto s = checkSize(out.message.size(), options); !s.ok()) return s.error();
  out.mailFrom = env->mailFrom;
  out.recipients = std::move(env->recipients);
  out.fromDomain = fromBoxes[0].domain;
  out.messageId = messageId;
  out.needsSmtpUtf8 = utf8 || env->utf8 || headerUtf8(fromBoxes);
  out.eightBit = !isAscii(msg.body);
  return out;
}

}  // namespace mailroom::compose
