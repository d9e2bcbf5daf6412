// Base64 (RFC 4648 §4) as DKIM uses it for b=, bh= and p= (RFC 6376 §2.4): whitespace (FWS)
// may appear anywhere inside the encoded text and is ignored when decoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lib/common/result.h"

namespace mailroom::dkim {

std::string base64Encode(std::string_view bytes);
// Writes the encoding of bytes to out, which has room for base64Length(bytes.size()) chars.
void base64EncodeTo(char* out, std::string_view bytes);
constexpr size_t base64Length(size_t bytes) {
  return (bytes + 2) / 3 * 4;
}
// Skips SP, HTAB, CR and LF; rejects any other non-alphabet character and bad padding.
Result<std::string> base64Decode(std::string_view text);

}  // namespace mailroom::dkim
