#include "operator/dns/providers/route53/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace mailroom::dnspub::route53 {

namespace {

std::string hex(const unsigned char* d, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

std::string hmacRaw(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Trimmed, with inner runs of spaces collapsed to one (SigV4's header value rule).
std::string trimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string canonicalQuery(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= q.size() && !q.empty()) {
    size_t amp = q.find('&', start);
    std::string_view part = q.substr(start, amp == std::string_view::npos ? q.npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string k = percentDecode(part.substr(0, eq));
      std::string v = eq == std::string_view::npos ? "" : percentDecode(part.substr(eq + 1));
      params.emplace_back(uriEncode(k), uriEncode(v));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::vector<std::pair<std::string, std::string>> canonicalHeaders(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> hs;
  for (const auto& [k, v] : r.headers) {
    std::string name = lower(k);
    auto it = std::find_if(hs.begin(), hs.end(), [&](const auto& h) { return h.first == name; });
    if (it != hs.end()) {
      it->second += "," + trimValue(v);
    } else {
      hs.emplace_back(name, trimValue(v));
    }
  }
  std::sort(hs.begin(), hs.end());
  return hs;
}

std::string scope(std::string_view amzDate, std::string_view region, std::string_view service) {
  return std::string(amzDate.substr(0, 8)) + "/" + std::string(region) + "/" +
         std::string(service) + "/aws4_request";
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_sha256(), nullptr);
  return hex(d, n);
}

std::string uriEncode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string signedHeaders(const SigV4Request& r) {
  std::string out;
  for (const auto& [k, v] : canonicalHeaders(r)) out += (out.empty() ? "" : ";") + k;
  return out;
}

std::string canonicalRequest(const SigV4Request& r) {
  std::string out =
      r.method + "\n" + (r.path.empty() ? "/" : r.path) + "\n" + canonicalQuery(r.query) + "\n";
  for (const auto& [k, v] : canonicalHeaders(r)) out += k + ":" + v + "\n";
  return out + "\n" + signedHeaders(r) + "\n" + sha256Hex(r.payload);
}

std::string stringToSign(const SigV4Request& r, std::string_view amzDate, std::string_view region,
                         std::string_view service) {
  return "AWS4-HMAC-SHA256\n" + std::string(amzDate) + "\n" + scope(amzDate, region, service) +
         "\n" + sha256Hex(canonicalRequest(r));
}

std::string signature(const SigV4Request& r, const AwsCredentials& c, std::string_view amzDate,
                      std::string_view region, std::string_view service) {
  std::string k = hmacRaw("AWS4" + c.secretAccessKey, amzDate.substr(0, 8));
  k = hmacRaw(k, region);
  k = hmacRaw(k, service);
  k = hmacRaw(k, "aws4_request");
  std::string sig = hmacRaw(k, stringToSign(r, amzDate, region, service));
  return hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

std::string authorization(const SigV4Request& r, const AwsCredentials& c, std::string_view amzDate,
                          std::string_view region, std::string_view service) {
  return "AWS4-HMAC-SHA256 Credential=" + c.accessKeyId + "/" + scope(amzDate, region, service) +
         ", SignedHeaders=" + signedHeaders(r) +
         ", Signature=" + signature(r, c, amzDate, region, service);
}

}  // namespace mailroom::dnspub::route53
