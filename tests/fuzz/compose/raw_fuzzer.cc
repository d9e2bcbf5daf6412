// composeRaw never crashes, and whatever it accepts is a message lib/mime parses, with From,
// Date and Message-ID present, no Bcc, CRLF line ends and at least one recipient.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lib/mime/message.h"
#include "sidecar/compose/compose.h"

using namespace mailroom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  compose::Options o;
  o.hostname = "sidecar.example";
  o.maxMessageBytes = 1 << 20;
  uint64_t counter = 0;
  o.random = [&counter] { return ++counter; };
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto c = compose::composeRaw(in, {}, o);
  if (!c.ok()) {
    if (c.error().kind != ErrorKind::kInvalidArgument) std::abort();
    return 0;
  }
  auto m = mime::parseMessage(c->message);
  if (!m.ok()) std::abort();
  if (!m->find("From") || !m->find("Date") || !m->find("Message-ID") || m->find("Bcc"))
    std::abort();
  if (c->recipients.empty() || c->message.size() > o.maxMessageBytes) std::abort();
  for (size_t i = 0; i < c->message.size(); ++i) {
    char ch = c->message[i];
    if (ch == '\n' && (i == 0 || c->message[i - 1] != '\r')) std::abort();
    if (ch == '\r' && (i + 1 == c->message.size() || c->message[i + 1] != '\n')) std::abort();
  }
  if (mime::render(*m) != c->message) std::abort();
  return 0;
}
