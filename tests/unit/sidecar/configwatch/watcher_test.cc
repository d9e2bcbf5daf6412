// The inotify edge against a temp directory laid out exactly as the kubelet's AtomicWriter lays
// out a ConfigMap/Secret volume: a timestamped directory holding the files, `..data` a symlink
// to it, each file a symlink `name -> ..data/name`; an update writes a new timestamped
// directory, points a `..data_tmp` symlink at it, renames that over `..data` and removes the old
// directory. No sleeps: each test runs the loop until the callback fires, bounded by a timeout.
#include "sidecar/configwatch/watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace mailroom::configwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class KubeletVolume {
 public:
  explicit KubeletVolume(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

  // One AtomicWriter update: files as given, then the `..data` swap.
  void write(const std::map<std::string, std::string>& files) {
    const std::string ts = "..2026_12_05_16_30_00." + std::to_string(++updates_);
    fs::create_directory(dir_ / ts);
    for (const auto& [name, content] : files) std::ofstream(dir_ / ts / name) << content;
    fs::create_symlink(ts, dir_ / "..data_tmp");
    if (std::rename((dir_ / "..data_tmp").c_str(), (dir_ / "..data").c_str()) != 0)
      throw std::runtime_error("rename ..data_tmp");
    for (const auto& [name, _] : files)
      if (!fs::is_symlink(dir_ / name)) fs::create_symlink(fs::path("..data") / name, dir_ / name);
    if (!previous_.empty()) fs::remove_all(dir_ / previous_);
    previous_ = ts;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::string previous_;
  int updates_ = 0;
};

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("configwatch-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<Watcher> watch(const WatchPlan& plan) {
    auto w = Watcher::create(io_.get_executor(), plan, 20ms, [this](std::vector<fs::path> c) {
      bursts_.push_back(std::move(c));
      io_.stop();
    });
    EXPECT_TRUE(w.ok()) << w.error().message;
    return w.ok() ? std::move(w.value()) : nullptr;
  }

  // Runs the loop until the next burst is reported (or 5 s pass); returns it.
  std::vector<fs::path> nextBurst() {
    const size_t before = bursts_.size();
    io_.restart();
    io_.run_for(5s);
    if (bursts_.size() == before) return {fs::path("<timeout>")};
    return bursts_.back();
  }

  asio::io_context io_;
  fs::path root_;
  std::vector<std::vector<fs::path>> bursts_;
};

TEST_F(WatcherTest, KubeletSwapOfDataIsOneBurstNamingEveryFileThere) {
  KubeletVolume config(root_ / "config"), keys(root_ / "keys");
  config.write({{"sidecar.yaml", "generation: 1"}});
  keys.write({{"s1._domainkey.example.com.pem", "key 1"}});
  auto w = watch(
      watchPlan(config.dir() / "sidecar.yaml", {keys.dir() / "s1._domainkey.example.com.pem"}));
  ASSERT_TRUE(w);

  config.write({{"sidecar.yaml", "generation: 2"}});
  EXPECT_EQ(nextBurst(), std::vector<fs::path>{config.dir() / "sidecar.yaml"});
  std::ifstream in(config.dir() / "sidecar.yaml");
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "generation: 2");  // the symlink already leads to the new content

  keys.write({{"s1._domainkey.example.com.pem", "key 2"}});
  EXPECT_EQ(nextBurst(), std::vector<fs::path>{keys.dir() / "s1._domainkey.example.com.pem"});
  EXPECT_EQ(bursts_.size(), 2u);  // each swap was one burst, not one per event
}

TEST_F(WatcherTest, PlainFileRewriteAndRenameOverCount) {
  const fs::path file = root_ / "sidecar.yaml";
  std::ofstream(file) << "v1";
  auto w = watch(watchPlan(file, {}));
  ASSERT_TRUE(w);
  std::ofstream(root_ / "unrelated.txt") << "x";  // not reported: the burst below names only ours
  std::ofstream(file) << "v2";
  EXPECT_EQ(nextBurst(), std::vector<fs::path>{file});
  std::ofstream(root_ / ".sidecar.yaml.tmp") << "v3";
  fs::rename(root_ / ".sidecar.yaml.tmp", file);
  EXPECT_EQ(nextBurst(), std::vector<fs::path>{file});
}

TEST_F(WatcherTest, SetPlanFollowsNewDirectories) {
  const fs::path config = root_ / "sidecar.yaml";
  std::ofstream(config) << "v1";
  auto w = watch(watchPlan(config, {}));
  ASSERT_TRUE(w);
  KubeletVolume keys(root_ / "keys");
  keys.write({{"k.pem", "key 1"}});
  ASSERT_TRUE(w->setPlan(watchPlan(config, {keys.dir() / "k.pem"})).ok());
  keys.write({{"k.pem", "key 2"}});
  EXPECT_EQ(nextBurst(), std::vector<fs::path>{keys.dir() / "k.pem"});
}

TEST_F(WatcherTest, AMissingDirectoryIsAnError) {
  auto w = Watcher::create(io_.get_executor(), watchPlan(root_ / "nope" / "sidecar.yaml", {}), 1ms,
                           [](auto) {});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::configwatch
