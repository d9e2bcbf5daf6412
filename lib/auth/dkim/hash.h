// The two hashes of RFC 6376 §3.7: the body hash (bh=, over the canonical body, honouring l=)
// and the data-hash input (the h= header fields selected bottom-up per §5.4.2, then the
// DKIM-Signature field itself with an empty b= value and no final CRLF). Pure functions shared
// by the signer and the verifier so both sides hash exactly the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"
#include "lib/mime/message.h"

namespace mailroom::dkim {

// SHA-256 of the first `length` bytes (all when unset) of an already canonical body.
std::string bodyHashOfCanonical(std::string_view canonicalBody,
                                std::optional<uint64_t> length = std::nullopt);

// The header data to hash: for each name in h= the last not yet used instance among
// message.headers (a name with no instance left contributes nothing, §5.4), each canonicalized
// with its CRLF, then signatureField canonicalized without its final CRLF. skip, when given,
// is a field that is never selected (the DKIM-Signature being verified).
std::string headerHashInput(const mime::Message& message, const std::vector<std::string>& h,
                            Canon canon, std::string_view signatureField,
                            const mime::HeaderField* skip = nullptr);

// The same bytes handed to sink (in one piece).
void headerHashInput(const mime::Message& message, const std::vector<std::string>& h, Canon canon,
                     std::string_view signatureField, const BodySink& sink,
                     const mime::HeaderField* skip = nullptr);

// The same bytes appended to out, over a message view with h= names as views; skip is the index
// of a field in message.headers that is never selected (npos: none).
void appendHeaderHashInput(std::string& out, const mime::MessageView& message,
                           std::span<const std::string_view> h, Canon canon,
                           std::string_view signatureField, size_t skip = mime::MessageView::npos);

// The two halves of that. The §5.4.2 selection: for each name in h the index in
// message.headers of the last instance not taken yet (a name with none left adds nothing).
std::vector<size_t> selectHeaderFields(const mime::MessageView& message,
                                       std::span<const std::string_view> h,
                                       size_t skip = mime::MessageView::npos);
// The hash input for fields taken in this order (indexes into message.headers): each
// canonicalized with its CRLF, then signatureField without its CRLF. The signer, which knows
// its selection while choosing h=, calls this directly and hashes the result with one update.
void appendHeaderHashInput(std::string& out, const mime::MessageView& message,
                           std::span<const size_t> fields, Canon canon,
                           std::string_view signatureField);

// The raw DKIM-Signature field with the value of its b= tag (and the whitespace around it)
// removed (§3.5 "b=" description, §3.7 step 2).
Result<std::string> withEmptySignatureValue(std::string_view rawField);

}  // namespace mailroom::dkim
