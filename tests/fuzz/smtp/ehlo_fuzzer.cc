// parseEhlo over arbitrary EHLO replies: no crash, and the capabilities depend only on the
// reply, so parsing its rendered-and-reparsed form gives the same answer.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sidecar/delivery/smtp/capabilities.h"
#include "sidecar/delivery/smtp/reply.h"

using mailroom::smtp::Capabilities;

namespace {
bool same(const Capabilities& a, const Capabilities& b) {
  return a.esmtp == b.esmtp && a.starttls == b.starttls && a.pipelining == b.pipelining &&
         a.eightBitMime == b.eightBitMime && a.smtpUtf8 == b.smtpUtf8 &&
         a.enhancedStatusCodes == b.enhancedStatusCodes && a.chunking == b.chunking &&
         a.dsn == b.dsn && a.size == b.size && a.auth == b.auth && a.serverName == b.serverName;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Treat the input as the text of a 250 reply, one line per LF, so the fuzzer spends its time
  // on keywords rather than reply syntax.
  mailroom::smtp::Reply reply{250, "", {}};
  std::string line;
  for (size_t i = 0; i < size; ++i) {
    char c = static_cast<char>(data[i]);
    if (c == '\n') {
      reply.lines.push_back(line);
      line.clear();
    } else if (c != '\r') {
      line += c;
    }
  }
  reply.lines.push_back(line);
  Capabilities caps = mailroom::smtp::parseEhlo(reply);
  if (!caps.esmtp) abort();
  if (caps.size && *caps.size == 0) abort();

  mailroom::smtp::ReplyParser p;
  p.feed(mailroom::smtp::renderReply(reply));
  auto back = p.next();
  if (back && back->ok() && !same(mailroom::smtp::parseEhlo(**back), caps)) abort();
  return 0;
}
