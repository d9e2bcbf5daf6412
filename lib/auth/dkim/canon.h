// DKIM canonicalization, RFC 6376 §3.4: the "simple" and "relaxed" forms of header fields
// (§3.4.1, §3.4.2) and bodies (§3.4.3, §3.4.4). Pure functions over bytes; the input is the
// wire form with CRLF line endings (lib/mime parseMessage normalizes bare LF before this).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lib/auth/dkim/types.h"

namespace mailroom::dkim {

// One header field as written ("Name: value", folding CRLFs included, no final CRLF) in its
// canonical form, terminated by CRLF.
std::string canonicalizeHeader(Canon canon, std::string_view rawField);

// The canonical body. simple: trailing empty lines removed, an empty body becomes one CRLF.
// relaxed: WSP runs reduced to one SP, WSP at line ends removed, trailing empty lines removed,
// an empty body stays empty. Both add a CRLF after a last line that lacks one.
std::string canonicalizeBody(Canon canon, std::string_view body);

// The same bytes handed to sink in order, in chunks, without building the whole canonical
// body (the signer feeds them straight into the body hash).
using BodySink = std::function<void(std::string_view)>;
void canonicalizeBody(Canon canon, std::string_view body, const BodySink& sink);

}  // namespace mailroom::dkim
