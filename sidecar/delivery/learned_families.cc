#include "sidecar/delivery/learned_families.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "lib/log/log.h"

namespace mailroom::delivery {
namespace {

constexpr const char* kFile = "learned-families";

bool writeAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Temporary file, fsync, rename over the old one, fsync of the directory.
bool replaceFile(const std::filesystem::path& dir, const std::string& data) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto tmp = dir / (std::string(kFile) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = writeAll(fd, data) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), (dir / kFile).c_str()) != 0) return false;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace

LearnedFamilies::LearnedFamilies(std::filesystem::path directory, metrics::Registry& metrics)
    : directory_(std::move(directory)), metrics_(metrics) {
  metrics_.describe("mailroom_learned_family", "gauge",
                    "1 while a destination is sent the other address family first after a "
                    "reverse-DNS rejection over `rejected` there; 0 once that expired.");
}

void LearnedFamilies::load(TimePoint now) {
  if (directory_.empty()) return;
  std::ifstream in(directory_ / kFile, std::ios::binary);
  if (!in) return;
  std::stringstream b;
  b << in.rdbuf();
  size_t skipped = 0;
  memory_ = policy::FamilyMemory::parse(b.str(), &skipped);
  if (skipped)
    log::warn("learned address families: damaged lines skipped",
              {{"file", (directory_ / kFile).string()}, {"lines", static_cast<int>(skipped)}});
  if (memory_.forgetExpired(now)) save();
  for (const auto& e : memory_.entries()) show(e, true);
}

void LearnedFamilies::learn(std::string_view destination, AddressFamily rejected, TimePoint now,
                            std::chrono::seconds forTime, std::string reason) {
  memory_.learn(destination, rejected, now, forTime, std::move(reason));
  const auto* e = memory_.inForce(destination, now);
  if (!e) return;
  show(*e, true);
  log::info("learned: the other address family goes first at this destination",
            {{"rcpt_domain", e->destination},
             {"rejected", familyName(rejected)},
             {"seconds", static_cast<long long>(forTime.count())},
             {"reason", e->reason}});
  save();
}

const policy::FamilyMemory::Entry* LearnedFamilies::inForce(std::string_view destination,
                                                            TimePoint now) {
  if (memory_.empty()) return nullptr;  // the usual case: nothing learned, nothing to look up
  if (const auto* e = memory_.inForce(destination, now)) return e;
  for (const auto& e : memory_.entries())
    if (e.until <= now) show(e, false);
  if (memory_.forgetExpired(now)) save();
  return nullptr;
}

void LearnedFamilies::save() {
  if (directory_.empty()) return;
  if (!replaceFile(directory_, memory_.serialize()))
    log::error("learned address families: cannot write the state file",
               {{"dir", directory_.string()}});
}

void LearnedFamilies::show(const policy::FamilyMemory::Entry& e, bool inForce) {
  metrics_.set("mailroom_learned_family",
               {{"domain", e.destination}, {"rejected", familyName(e.rejected)}}, inForce ? 1 : 0);
}

}  // namespace mailroom::delivery
