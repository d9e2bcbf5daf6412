// An in-memory Kubernetes API server behind kube::Transport, for controller tests without a
// cluster. It tracks objects the way the API server does, so tests assert outcomes (the object's
// status, its finalizers, which Events exist) instead of scripting HTTP answers:
// - resourceVersion from one global counter; uid, creationTimestamp and generation on create;
//   generation bumps only when spec changes; generateName;
// - PUT and merge patches with a metadata.resourceVersion that is not current answer 409;
// - JSON patches (RFC 6902) whose "test" fails answer 422 ("test" of an absent member against
//   null passes, as the API server's implementation does);
// - the /status subresource changes only status, the main resource never changes status;
// - DELETE of an object with finalizers sets deletionTimestamp; it is removed when the last
//   finalizer goes;
// - list with labelSelector (k=v[,k=v]); watch replays the changes after a resourceVersion and
//   then ends as the server's timeout would; compact() makes older versions answer 410.
// Every request is recorded; failNext() injects error answers.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/api.h"

namespace mailroom::testing {

class FakeKubeApi : public kube::Transport {
 public:
  // Stores an object as a create would (collectionPath: where it lives); returns it as stored.
  api::Json create(const std::string& collectionPath, api::Json object);
  std::optional<api::Json> get(const std::string& objectPath) const;
  // Objects in a collection, ordered by name.
  std::vector<api::Json> list(const std::string& collectionPath) const;
  // Another client's write to an object (bumps its resourceVersion): the next write of a stale
  // reader conflicts.
  void touch(const std::string& objectPath);
  // Forgets the change history: watches from an older resourceVersion get 410 Gone.
  void compact();
  // The next `times` requests of method whose path starts with pathPrefix answer code.
  void failNext(const std::string& method, const std::string& pathPrefix, int code, int times = 1);

  Result<kube::ApiResponse> request(const kube::ApiRequest& req) override;
  Result<kube::ApiResponse> stream(const kube::ApiRequest& req,
                                   const std::function<bool(const std::string&)>& onLine) override;

  std::vector<kube::ApiRequest> requests() const;
  int writes() const;  // requests other than GET
  int writesTo(const std::string& pathPrefix) const;
  void clearRequests();
  int64_t resourceVersion() const;

 private:
  struct Path {
    std::string prefix;  // "/api/v1", "/apis/mailroom.dev/v1alpha1"
    std::string resource, namespace_, name, subresource;
    std::string kind() const { return prefix + "|" + resource; }
    std::string key() const { return kind() + "|" + namespace_ + "|" + name; }
  };
  struct Change {
    int64_t rv;
    std::string type;  // ADDED, MODIFIED, DELETED
    std::string kind, namespace_;
    api::Json object;
  };
  struct Injected {
    std::string method, prefix;
    int code, times;
  };

  static std::optional<Path> parsePath(const std::string& path);
  kube::ApiResponse handle(const kube::ApiRequest& req);
  kube::ApiResponse doGet(const Path& p, const std::string& query);
  kube::ApiResponse doCreate(const Path& p, api::Json object);
  kube::ApiResponse doUpdate(const Path& p, api::Json object);
  kube::ApiResponse doPatch(const Path& p, const kube::ApiRequest& req);
  kube::ApiResponse doDelete(const Path& p);
  kube::ApiResponse store(const Path& p, api::Json before, api::Json after, int code);
  api::Json& stamp(const Path& p, api::Json& object, const std::string& type);
  // Objects of the collection's kind, in its namespace ("" : all), passing the label selector.
  std::vector<api::Json> select(const Path& collection, const std::string& query) const;

  mutable std::mutex mu_;
  std::map<std::string, api::Json> objects_;  // Path::key() -> object
  std::vector<Change> changes_;
  int64_t rv_ = 100, compactedRv_ = 0, uid_ = 0, generated_ = 0;
  std::vector<kube::ApiRequest> requests_;
  std::vector<Injected> injected_;
};

}  // namespace mailroom::testing
