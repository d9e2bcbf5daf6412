#include "sidecar/configwatch/watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailroom::configwatch {
namespace fs = std::filesystem;

Result<std::unique_ptr<Watcher>> Watcher::create(asio::any_io_executor ex, const WatchPlan& plan,
                                                 std::chrono::milliseconds debounce,
                                                 OnChange onChange) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Error::internal(std::string("inotify_init1: ") + std::strerror(errno));
  std::unique_ptr<Watcher> w(new Watcher(ex, fd, debounce, std::move(onChange)));
  if (auto r = w->setPlan(plan); !r.ok()) return r.error();
  w->readMore();
  return w;
}

Watcher::Watcher(asio::any_io_executor ex, int fd, std::chrono::milliseconds debounce,
                 OnChange onChange)
    : stream_(ex, fd),
      quiet_(ex),
      debounce_(debounce),
      onChange_(std::move(onChange)),
      buffer_(64 * 1024) {}

Watcher::~Watcher() {
  *alive_ = false;
  stop();
}

void Watcher::stop() {
  boost::system::error_code ec;
  quiet_.cancel();
  stream_.close(ec);
}

Result<void> Watcher::setPlan(const WatchPlan& plan) {
  const auto diff = diffPlans(plan_, plan);
  for (const auto& dir : diff.add) {
    int wd = ::inotify_add_watch(stream_.native_handle(), dir.c_str(), directoryMask());
    if (wd < 0)
      return Error::notFound("cannot watch " + dir.string() + ": " + std::strerror(errno));
    dirs_[wd] = dir;
  }
  for (const auto& dir : diff.remove) {
    for (auto it = dirs_.begin(); it != dirs_.end(); ++it) {
      if (it->second != dir) continue;
      ::inotify_rm_watch(stream_.native_handle(), it->first);
      dirs_.erase(it);
      break;
    }
  }
  plan_ = plan;
  return {};
}

void Watcher::readMore() {
  stream_.async_read_some(asio::buffer(buffer_),
                          [this, alive = alive_](const boost::system::error_code& ec, size_t n) {
                            if (ec || !*alive) return;  // closed
                            onBytes(n);
                            readMore();
                          });
}

void Watcher::onBytes(size_t n) {
  bool relevant = false;
  for (size_t off = 0; off + sizeof(inotify_event) <= n;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(buffer_.data() + off);
    off += sizeof(inotify_event) + ev->len;
    if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: any watched file may have changed
      for (const auto& [dir, names] : plan_)
        for (const auto& name : names) pending_.insert(dir / name);
      relevant = true;
      continue;
    }
    auto dir = dirs_.find(ev->wd);
    if (dir == dirs_.end() || ev->len == 0) continue;
    auto names = plan_.find(dir->second);
    if (names == plan_.end()) continue;
    for (const auto& name : changedNames(names->second, ev->name, ev->mask)) {
      pending_.insert(dir->second / name);
      relevant = true;
    }
  }
  if (!relevant) return;
  // Every relevant event restarts the quiet period; the burst is reported once it ends.
  quiet_.expires_after(debounce_);
  quiet_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    std::vector<fs::path> changed(pending_.begin(), pending_.end());
    pending_.clear();
    onChange_(std::move(changed));
  });
}

}  // namespace mailroom::configwatch
