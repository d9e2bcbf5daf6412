// The inotify edge of config watching (plan.h decides what events mean). Watches the plan's
// directories on the given executor and calls onChange once per burst of relevant events, after
// `debounce` without further ones: a kubelet swap is several events (the new timestamped
// directory, `..data_tmp`, the rename over `..data`, the old directory's removal) and an editor
// may write a file in pieces; reloading once for the burst reads the finished state.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "lib/common/asio.h"
#include "lib/common/result.h"
#include "sidecar/configwatch/plan.h"

namespace mailroom::configwatch {

class Watcher {
 public:
  // The watched files (directory / name) that changed in the burst, sorted, no duplicates.
  using OnChange = std::function<void(std::vector<std::filesystem::path> changed)>;

  static Result<std::unique_ptr<Watcher>> create(asio::any_io_executor ex, const WatchPlan& plan,
                                                 std::chrono::milliseconds debounce,
                                                 OnChange onChange);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Follows a new plan (a reload named other key files): adds and removes directory watches.
  // Call on the executor's thread.
  Result<void> setPlan(const WatchPlan& plan);
  void stop();

 private:
  Watcher(asio::any_io_executor ex, int fd, std::chrono::milliseconds debounce, OnChange onChange);
  void readMore();
  void onBytes(size_t n);

  asio::posix::stream_descriptor stream_;
  asio::steady_timer quiet_;
  std::chrono::milliseconds debounce_;
  OnChange onChange_;
  WatchPlan plan_;
  std::map<int, std::filesystem::path> dirs_;  // watch descriptor -> directory
  std::set<std::filesystem::path> pending_;    // changed in the current burst
  std::vector<char> buffer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mailroom::configwatch
