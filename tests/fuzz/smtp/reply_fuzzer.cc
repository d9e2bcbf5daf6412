// ReplyParser over arbitrary bytes: no crash, and every reply it accepts renders (renderReply)
// to bytes that parse to the same reply. The input is also fed in two pieces split at its
// first byte's value, which must give the same replies as feeding it whole.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/delivery/smtp/capabilities.h"
#include "sidecar/delivery/smtp/reply.h"

using mailroom::smtp::Reply;
using mailroom::smtp::ReplyParser;

namespace {

// Replies until the first error or until more bytes are needed; *failed tells which.
std::vector<Reply> drain(ReplyParser& p, bool* failed) {
  std::vector<Reply> out;
  *failed = false;
  while (auto r = p.next()) {
    if (!r->ok()) {
      *failed = true;
      break;
    }
    out.push_back(**r);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ReplyParser whole;
  whole.feed(in);
  bool failedWhole = false;
  std::vector<Reply> replies = drain(whole, &failedWhole);

  ReplyParser pieces;
  const size_t cut = size ? data[0] % (size + 1) : 0;
  bool failedA = false, failedB = false;
  pieces.feed(in.substr(0, cut));
  std::vector<Reply> got = drain(pieces, &failedA);
  if (!failedA) {
    pieces.feed(in.substr(cut));
    for (auto& r : drain(pieces, &failedB)) got.push_back(std::move(r));
  }
  // Splitting may only surface an over-long line earlier, never change accepted replies.
  const size_t common = std::min(got.size(), replies.size());
  for (size_t i = 0; i < common; ++i) {
    if (!(got[i] == replies[i])) abort();
  }
  if (!failedA && !failedB && !failedWhole && got.size() != replies.size()) abort();

  for (const Reply& r : replies) {
    ReplyParser again;
    again.feed(mailroom::smtp::renderReply(r));
    auto back = again.next();
    if (!back || !back->ok() || !(**back == r)) abort();
    (void)mailroom::smtp::parseEhlo(r);
    (void)r.text();
  }
  return 0;
}
