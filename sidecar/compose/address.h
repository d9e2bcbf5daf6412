// Mail addresses in the two grammars a message carries them in:
//  - the SMTP envelope, RFC 5321 §4.1.2 Mailbox (dot-string or quoted-string local part;
//    a domain, or an address literal [198.51.100.1] / [IPv6:2001:db8::1]), with the RFC 6531
//    SMTPUTF8 extension (UTF-8 in the local part);
//  - header fields, RFC 5322 §3.4 address lists: name-addr / addr-spec / groups, display names
//    with quoted strings, comments and RFC 2047 encoded-words, RFC 6532 UTF-8.
// Limits of RFC 5321 §4.5.3.1: local part <= 64 octets, domain <= 255, labels <= 63.
// Domains are returned as A-labels (RFC 5890): U-labels are converted with libidn2
// (IDNA2008 with UTS #46 non-transitional mapping) so that DNS, DKIM and the SMTP envelope
// all see one form; ASCII domains are lower-cased.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::compose {

struct Mailbox {
  std::string displayName;  // decoded (quotes removed, encoded-words decoded), UTF-8; may be ""
  std::string localPart;    // semantic value: quotes and backslash escapes removed
  std::string domain;       // A-label, lower case, or an address literal "[...]" as written

  // True when the local part has non-ASCII octets (needs SMTPUTF8, RFC 6531 §3.3).
  bool utf8LocalPart() const;
  // "local@domain" with the local part quoted when it is not a dot-string.
  std::string address() const;
  bool operator==(const Mailbox&) const = default;
};

// One element of an address list: a single mailbox, or a group with its (possibly empty)
// member list (RFC 5322 §3.4 "group").
struct AddressEntry {
  bool isGroup = false;
  std::string groupName;           // decoded, only for groups
  std::vector<Mailbox> mailboxes;  // exactly one when !isGroup
  bool operator==(const AddressEntry&) const = default;
};

// RFC 5321 Mailbox (as inside "MAIL FROM:<...>"; surrounding angle brackets are accepted).
Result<Mailbox> parseEnvelopeAddress(std::string_view text);
// RFC 5322 address-list ("A <a@x>, b@y, Team: c@z;"). Empty list elements are skipped
// (obs-addr-list); an input with no address at all is an error.
Result<std::vector<AddressEntry>> parseAddressList(std::string_view text);
// RFC 5322 mailbox: exactly one name-addr or addr-spec (used for From and Sender).
Result<Mailbox> parseMailbox(std::string_view text);

// Converts a domain to A-labels and checks RFC 5321 length and LDH rules; error messages
// name the problem, not the field.
Result<std::string> normalizeDomain(std::string_view domain);

// Renders a list for a header field value. With encodeNonAscii, non-ASCII display names become
// RFC 2047 encoded-words (for a header line that already holds `used` octets; the result may
// contain CRLF SP folds); otherwise UTF-8 is written as is (RFC 6532). Either form parses back
// to an equal list.
std::string renderAddressList(const std::vector<AddressEntry>& list, bool encodeNonAscii,
                              size_t used = 0);
std::string renderMailbox(const Mailbox& mailbox, bool encodeNonAscii, size_t used = 0);

// Flattens groups: every mailbox in order.
std::vector<Mailbox> mailboxesOf(const std::vector<AddressEntry>& list);

}  // namespace mailroom::compose
