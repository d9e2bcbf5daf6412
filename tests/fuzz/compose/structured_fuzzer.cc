// composeStructured over fields cut from the input (separated by NUL): never crashes; accepted
// messages parse with lib/mime, end every line in CRLF within 998 octets, carry no
// Bcc, and are pure ASCII unless an address local part is UTF-8 (needsSmtpUtf8).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/mime/message.h"
#include "sidecar/compose/compose.h"

using namespace mailroom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> f;
  size_t pos = 0;
  while (f.size() < 9) {
    size_t nul = in.find('\0', pos);
    f.emplace_back(in.substr(pos, nul == std::string_view::npos ? nul : nul - pos));
    if (nul == std::string_view::npos) break;
    pos = nul + 1;
  }
  f.resize(9);
  compose::Structured s;
  s.from = f[0];
  s.to = {f[1]};
  if (!f[2].empty()) s.bcc = {f[2]};
  s.subject = f[3];
  s.text = f[4];
  s.html = f[5];
  if (!f[6].empty()) s.headers = {{"X-Fuzz", f[6]}};
  if (!f[7].empty()) s.attachments = {{f[7], "application/octet-stream", f[8], ""}};
  if (!f[8].empty() && !s.html.empty())
    s.attachments.push_back({"i.png", "image/png", f[8], "i@x"});
  compose::Options o;
  o.hostname = "sidecar.example";
  uint64_t counter = 0;
  o.random = [&counter] { return ++counter; };
  auto c = compose::composeStructured(s, {}, o);
  if (!c.ok()) {
    if (c.error().kind != ErrorKind::kInvalidArgument) std::abort();
    return 0;
  }
  auto m = mime::parseMessage(c->message);
  if (!m.ok() || m->find("Bcc") || !m->find("From") || !m->find("MIME-Version")) std::abort();
  if (!c->needsSmtpUtf8)
    for (unsigned char ch : c->message)
      if (ch >= 0x80) std::abort();
  size_t start = 0;
  while (start < c->message.size()) {
    size_t eol = c->message.find("\r\n", start);
    if (eol == std::string::npos || eol - start > 998) std::abort();  // CRLF-ended, <= 998
    start = eol + 2;
  }
  return 0;
}
