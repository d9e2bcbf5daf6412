// DKIM public key records, RFC 6376 §3.6.1 (and RFC 8463 §4 for k=ed25519): parsing the TXT
// value published at <selector>._domainkey.<domain>, and rendering it for publication as
// DNS character-strings of at most 255 octets (RFC 1035 §3.3.14; RFC 6376 §3.6.2.2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dkim/keys.h"
#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"

namespace mailroom::dkim {

struct KeyRecord {
  std::string keyType = "rsa";        // k=, lower case
  std::vector<std::string> hashes;    // h=, empty: any
  std::vector<std::string> services;  // s=, empty: "*"
  std::string notes;                  // n=
  std::string publicKey;              // p=, decoded bytes; empty means revoked
  bool revoked = false;               // p= present but empty (§3.6.1)
  bool testing = false;               // t=y
  bool strictIdentity = false;        // t=s: i= domain must equal d= exactly
  bool hasVersion = false;            // v=DKIM1 present (it is optional)
};

// Errors name the tag: v= not "DKIM1" or not first, missing p=, bad base64 in p=, unknown k=,
// s= without "email" or "*". Unknown tags and unknown t= flags are ignored (§3.6.1).
Result<KeyRecord> parseKeyRecord(std::string_view txt);

// Whether the record allows algorithm: k= matches the key type and h= (if any) lists sha256.
// Errors name the tag ("k=rsa does not match a=ed25519-sha256").
Result<void> checkKeyAllows(const KeyRecord& record, Algorithm algorithm);

// Where a selector's key is published: "<selector>._domainkey.<domain>" (RFC 6376 §3.6.2.1).
std::string keyRecordName(std::string_view selector, std::string_view domain);

// "v=DKIM1; k=rsa; p=<base64>" (plus "; t=y" etc. when set): the TXT value to publish.
std::string renderKeyRecord(const KeyRecord& record);
// The TXT value for a private key's public half.
std::string renderKeyRecord(const PrivateKey& key);
// Splits a TXT value into character-strings of at most maxLen octets (in order).
std::vector<std::string> splitTxtStrings(std::string_view value, size_t maxLen = 255);
// Zone-file form of the strings: "\"v=DKIM1; k=rsa; p=MIIB...\" \"...\"" (quotes and
// backslashes escaped per RFC 1035 §5.1).
std::string renderZoneTxt(const std::vector<std::string>& strings);

}  // namespace mailroom::dkim
