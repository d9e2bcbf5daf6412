// The pure half of an SMTP mail transaction (RFC 5321 §3.3): checks made before anything is
// sent (SIZE, RFC 1870 §6; SMTPUTF8, RFC 6531 §3.5; CR/LF injection in addresses), the MAIL
// and RCPT command lines with their ESMTP parameters, and the DATA payload with
// dot-stuffing and the end-of-data line (§4.5.2).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"
#include "sidecar/delivery/smtp/capabilities.h"
#include "sidecar/delivery/smtp/reply.h"

namespace mailroom::smtp {

struct Transaction {
  std::string mailFrom;  // reverse-path without angle brackets; "" for the null sender <>
  std::vector<std::string> recipients;  // forward-paths without angle brackets
  std::string_view message;             // CRLF line endings, not dot-stuffed; must outlive send()
  bool needsSmtpUtf8 = false;           // an address or header needs SMTPUTF8 (RFC 6531)
  bool eightBit = false;                // the body has 8-bit octets (BODY=8BITMIME, RFC 6152)
};

// The size the server counts for SIZE= (RFC 1870 §3): the message with CRLF line endings,
// without dot-stuffing, plus the CRLF we add when the message does not end with one.
size_t messageSize(std::string_view message);

// Why the transaction cannot be attempted on this server, as a locally made reply with code 0
// and an enhanced code ("5.3.4" too big, "5.6.7" SMTPUTF8 missing); nullopt when it can.
// Always a permanent failure: the same server will refuse it again.
std::optional<Reply> precheck(const Capabilities& caps, const Transaction& txn);

// A RCPT reply that refuses the recipient only because this transaction has enough of them
// (RFC 5321 §4.5.3.1.10: 452, Postfix's "452 4.5.3 Error: too many recipients"; also 552 with
// 5.5.3 from servers that follow RFC 821, which the RFC says to treat as temporary). It says
// nothing about the recipient: the client sends it in a separate transaction at once.
bool recipientLimitReached(const Reply& rcptReply);

// True when the address can go into a command line: no CR, LF, NUL, '<' or '>'.
bool safeAddress(std::string_view address);

// "MAIL FROM:<a@b> SIZE=n BODY=8BITMIME SMTPUTF8\r\n" (parameters only when announced).
std::string mailCommand(const Capabilities& caps, const Transaction& txn);
// "RCPT TO:<a@b>\r\n"
std::string rcptCommand(std::string_view recipient);

// Appends the message dot-stuffed (a "." at the start of a line becomes "..", §4.5.2), with
// bare LF written as CRLF, a final CRLF when missing, and the terminating ".\r\n". Copies in
// runs between line starts that begin with "." or bare LFs, so a typical message is one or two
// appends, not one per line.
void appendDataPayload(std::string& out, std::string_view message);

}  // namespace mailroom::smtp
