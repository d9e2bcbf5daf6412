// The spool's shared helpers: file I/O, ids, and the journal's frame format (see spool.h).
#include "sidecar/spool/internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mailroom::spool::internal {

namespace fs = std::filesystem;
constexpr char kFrameMagic[4] = {'M', 'R', 'J', '1'};
constexpr size_t kFrameHeader = 12;  // magic, u32 length, u32 crc32c(body)

Error sysError(const std::string& what, const fs::path& path, int err) {
  // Disk errors (full, I/O) may clear up: temporary, so callers retry rather than bounce.
  return Error::temporary(what + " " + path.string() + ": " + std::strerror(err));
}

Result<void> writeAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sysError("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> writeFile(const fs::path& path, std::string_view data, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return sysError("create", path);
  auto r = writeAll(fd, data, path);
  if (::close(fd) != 0 && r.ok()) return sysError("close", path);
  return r;
}

Result<std::string> readFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error::notFound("no file " + path.string());
    return sysError("open", path);
  }
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return sysError("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> syncFd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) return Error::temporary("fsync " + what + ": " + std::strerror(errno));
  return {};
}

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool validId(std::string_view s) {
  return s.size() == 21 && s[16] == '-' && isHex(s.substr(0, 16)) && isHex(s.substr(17));
}

uint64_t idMicros(std::string_view id) {
  return std::stoull(std::string(id.substr(0, 16)), nullptr, 16);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

namespace {

void appendStr(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

size_t appendFrame(std::string& out, uint8_t type, std::string_view id, std::string_view stored,
                   std::string_view message) {
  const size_t start = out.size();
  out.append(kFrameMagic, sizeof kFrameMagic);
  out.append(8, '\0');  // length and crc, filled in below
  out.push_back(static_cast<char>(type));
  appendStr(out, id);
  appendStr(out, stored);
  putU64(out, message.size());
  const size_t messageAt = out.size();
  out.append(message);
  std::string_view body(out.data() + start + kFrameHeader, out.size() - start - kFrameHeader);
  std::string header;
  putU32(header, static_cast<uint32_t>(body.size()));
  putU32(header, crc32c(body));
  out.replace(start + 4, 8, header);
  return messageAt;
}

Result<void> scanSegment(const fs::path& path, const std::function<void(Frame&)>& onFrame,
                         bool& clean) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sysError("open", path);
  struct stat st {};
  ::fstat(fd, &st);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  clean = true;
  std::string body;
  for (;;) {
    char header[kFrameHeader];
    if (offset + kFrameHeader > size ||
        ::pread(fd, header, kFrameHeader, static_cast<off_t>(offset)) !=
            static_cast<ssize_t>(kFrameHeader))
      break;
    if (std::memcmp(header, kFrameMagic, 4) != 0) {
      clean = std::all_of(header, header + kFrameHeader, [](char c) { return c == 0; });
      break;
    }
    const uint32_t length = getU32(header + 4);
    if (offset + kFrameHeader + length > size) {
      clean = false;
      break;
    }
    body.resize(length);
    if (::pread(fd, body.data(), length, static_cast<off_t>(offset + kFrameHeader)) !=
            static_cast<ssize_t>(length) ||
        crc32c(body) != getU32(header + 8)) {
      clean = false;
      break;
    }
    // Parse the body; its checksum is good, so a malformed body is a bug, not a torn write.
    Frame f;
    size_t p = 0;
    auto take = [&](size_t n) -> std::string_view {
      if (n > body.size() - p) throw std::out_of_range("frame");
      std::string_view v(body.data() + p, n);
      p += n;
      return v;
    };
    try {
      f.type = static_cast<uint8_t>(take(1)[0]);
      f.id = std::string(take(getU32(take(4).data())));
      f.stored = std::string(take(getU32(take(4).data())));
      f.messageSize = getU64(take(8).data());
      f.messageOffset = offset + kFrameHeader + p;
      take(f.messageSize);
    } catch (const std::out_of_range&) {
      clean = false;
      break;
    }
    onFrame(f);
    offset += kFrameHeader + length;
  }
  ::close(fd);
  return {};
}

std::string seqFileName(uint64_t seq, char extension) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.%c", static_cast<unsigned long long>(seq), extension);
  return name;
}

std::optional<uint64_t> parseSeqFileName(std::string_view name, char extension) {
  if (name.size() != 18 || name[16] != '.' || name[17] != extension || !isHex(name.substr(0, 16)))
    return std::nullopt;
  return std::stoull(std::string(name.substr(0, 16)), nullptr, 16);
}

std::string quarantineName(const std::string& kind, const std::string& name) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
          .count();
  return kind + "-" + name + "-" + std::to_string(micros);
}

}  // namespace mailroom::spool::internal
