// The informer's cache, typed (client-go's Indexer with a typed lister): each object is decoded
// once when the watch delivers it, so reconciles read typed values and never re-parse. Objects
// are shared and immutable (std::shared_ptr<const Cached<T>>): a reconcile keeps its snapshot
// while the informer replaces entries. Decode failures are kept with their error, so a
// controller can report an object it cannot read instead of acting as if it were gone.
//
// Change handlers (a controller's For/Owns/Watches) get the entry before and after each change
// (nullptr for none) and run outside the store's lock; they only enqueue keys.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/meta.h"

namespace mailroom::kube {

// What an informer feeds; implemented by Store<T>.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  virtual void replaceAll(const std::vector<api::Json>& objects) = 0;
  virtual void upsert(const api::Json& object) = 0;
  virtual void remove(const api::Json& object) = 0;
  virtual std::vector<std::string> keys() const = 0;
};

// A kind the operator reads but does not type in full: its metadata and the raw object.
struct Unstructured {
  api::ObjectMeta metadata;
  api::Json raw;
};

template <class T>
struct Cached {
  api::ObjectMeta meta;     // always decoded
  std::optional<T> object;  // nullopt when decoding failed
  std::string error;        // why it failed
};

// nullopt when not even the metadata decodes: such an object cannot be keyed (the API server
// never sends one; a malformed watch line might).
template <class T>
std::optional<Cached<T>> decodeCached(const api::Json& json) {
  Cached<T> out;
  auto meta = api::decodeMeta(json);
  if (!meta || meta->name.empty()) return std::nullopt;
  out.meta = std::move(meta).value();
  if constexpr (std::is_same_v<T, Unstructured>) {
    out.object = Unstructured{out.meta, json};
  } else {
    auto decoded = api::decode<T>(json);
    if (decoded)
      out.object = std::move(decoded).value();
    else
      out.error = decoded.error().message;
  }
  return out;
}

template <class T>
class Store : public ObjectSink {
 public:
  using Entry = std::shared_ptr<const Cached<T>>;
  using Handler = std::function<void(const Cached<T>* before, const Cached<T>* after)>;

  void onChange(Handler handler) { handlers_.push_back(std::move(handler)); }

  Entry get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
  }
  // Entries in a namespace ("" : all), ordered by key.
  std::vector<Entry> list(const std::string& ns = {}) const {
    std::lock_guard lock(mu_);
    std::vector<Entry> out;
    for (const auto& [key, entry] : entries_) {
      if (ns.empty() || entry->meta.namespace_ == ns) out.push_back(entry);
    }
    return out;
  }
  std::vector<std::string> keys() const override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [key, entry] : entries_) out.push_back(key);
    return out;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

  void upsert(const api::Json& object) override {
    auto decoded = decodeCached<T>(object);
    if (!decoded) return;
    auto after = std::make_shared<const Cached<T>>(std::move(*decoded));
    Entry before;
    {
      std::lock_guard lock(mu_);
      auto& slot = entries_[after->meta.key()];
      before = slot;
      slot = after;
    }
    notify(before.get(), after.get());
  }
  void remove(const api::Json& object) override {
    auto meta = api::decodeMeta(object);
    if (!meta) return;
    Entry before;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(meta->key());
      if (it == entries_.end()) return;
      before = it->second;
      entries_.erase(it);
    }
    notify(before.get(), nullptr);
  }
  // A relist: every object that changed, appeared or vanished is notified.
  void replaceAll(const std::vector<api::Json>& objects) override {
    std::map<std::string, Entry> next;
    for (const auto& object : objects) {
      auto decoded = decodeCached<T>(object);
      if (!decoded) continue;
      auto entry = std::make_shared<const Cached<T>>(std::move(*decoded));
      next[entry->meta.key()] = entry;
    }
    std::map<std::string, Entry> previous;
    {
      std::lock_guard lock(mu_);
      previous.swap(entries_);
      entries_ = next;
    }
    for (const auto& [key, entry] : next) {
      auto it = previous.find(key);
      notify(it == previous.end() ? nullptr : it->second.get(), entry.get());
    }
    for (const auto& [key, entry] : previous) {
      if (!next.contains(key)) notify(entry.get(), nullptr);
    }
  }

 private:
  void notify(const Cached<T>* before, const Cached<T>* after) {
    for (const auto& h : handlers_) h(before, after);
  }

  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::vector<Handler> handlers_;  // registered before the informer starts
};

}  // namespace mailroom::kube
