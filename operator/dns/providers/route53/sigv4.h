// AWS Signature Version 4 for HTTP requests (the "Authorization" header form), with SHA-256 and
// HMAC through OpenSSL: the canonical request (method, URI, query sorted by name and value,
// lower-cased trimmed headers, signed header list, payload hash), the string to sign over the
// credential scope date/region/service/aws4_request, and the derived signing key. Tested with
// AWS's published SigV4 test suite (tests/unit/operator/dns/providers/route53/testdata). Pure;
// the secret key never leaves this file's functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailroom::dnspub::route53 {

struct AwsCredentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // "" unless temporary credentials
};

struct SigV4Request {
  std::string method;
  std::string path;   // already URI-encoded ("/2013-04-01/hostedzone/Z1/rrset")
  std::string query;  // "name=a&type=TXT" (encoded or not: it is canonicalized)
  std::vector<std::pair<std::string, std::string>> headers;  // must include host
  std::string payload;
};

std::string sha256Hex(std::string_view data);
// RFC 3986 unreserved characters kept, everything else %XX (upper case), as SigV4 wants.
std::string uriEncode(std::string_view s);

std::string canonicalRequest(const SigV4Request& r);
std::string signedHeaders(const SigV4Request& r);
// amzDate: "20150830T123600Z".
std::string stringToSign(const SigV4Request& r, std::string_view amzDate, std::string_view region,
                         std::string_view service);
std::string signature(const SigV4Request& r, const AwsCredentials& c, std::string_view amzDate,
                      std::string_view region, std::string_view service);
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". The request's headers
// must already hold x-amz-date (and x-amz-security-token with a session token).
std::string authorization(const SigV4Request& r, const AwsCredentials& c, std::string_view amzDate,
                          std::string_view region, std::string_view service);

}  // namespace mailroom::dnspub::route53
