#include "sidecar/configwatch/generation.h"

#include <openssl/evp.h>

#include <memory>

#include <fstream>
#include <sstream>

namespace mailroom::configwatch {

std::string contentHash(const std::vector<std::string>& parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (const auto& part : parts) {
    // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    const std::string length = std::to_string(part.size()) + ":";
    EVP_DigestUpdate(ctx.get(), length.data(), length.size());
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Result<std::string> snapshotHash(const std::string& configBytes,
                                 const std::vector<std::filesystem::path>& keyFiles) {
  std::vector<std::string> parts{configBytes};
  for (const auto& file : keyFiles) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error::notFound("cannot read " + file.string());
    std::ostringstream bytes;
    bytes << in.rdbuf();
    parts.push_back(bytes.str());
  }
  return contentHash(parts);
}

Generation advance(const Generation& current, const std::string& hash) {
  if (hash == current.hash) return current;
  return {current.number + 1, hash};
}

}  // namespace mailroom::configwatch
