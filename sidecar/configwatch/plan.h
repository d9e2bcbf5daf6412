// What to watch for config and key changes, and what an inotify event means (pure; the inotify
// edge is watcher.h). Kubernetes mounts a ConfigMap or Secret volume as a directory whose files
// are symlinks into `..data/`, itself a symlink to a timestamped directory; the kubelet updates
// the volume by writing a new timestamped directory and renaming a temporary symlink over
// `..data` (atomic). The files' own inodes never change, so the directory is watched, not the
// files: IN_MOVED_TO / IN_CREATE of `..data` is the signal. A sidecar run by hand has plain
// files that are rewritten in place or replaced by rename (editors): those events on a watched
// file's name count too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mailroom::configwatch {

// Directory -> the names in it whose change means "reload" (config file and key files).
using WatchPlan = std::map<std::filesystem::path, std::set<std::string>>;

// The directories of the config file and of every key file, with the file names to notice.
// Relative paths are taken as given (the caller resolves them against the working directory).
WatchPlan watchPlan(const std::filesystem::path& configFile,
                    const std::vector<std::filesystem::path>& keyFiles);

// The inotify mask to add for each watched directory.
uint32_t directoryMask();

// The names of `names` (one directory's entry of a plan) that an event on `eventName` with
// `mask` changes: all of them for a swap of `..data` (every file there is a symlink through it),
// the one file for a write, create or rename onto it, none otherwise (the kubelet's temporary
// `..data_tmp` and timestamped directories, unrelated files, deletions).
std::vector<std::string> changedNames(const std::set<std::string>& names,
                                      const std::string& eventName, uint32_t mask);

// Directories to add and to remove when the plan changes (a reload named new key files).
struct PlanDiff {
  std::vector<std::filesystem::path> add;
  std::vector<std::filesystem::path> remove;
};
PlanDiff diffPlans(const WatchPlan& before, const WatchPlan& after);

}  // namespace mailroom::configwatch
