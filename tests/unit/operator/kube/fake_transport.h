// A scripted Transport for tests: answers are queued per "METHOD path" and every request is
// recorded, so tests assert exactly which API calls (and how many writes) happened.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "operator/kube/api.h"

namespace mailroom::kube::testing {

class FakeTransport : public Transport {
 public:
  struct Answer {
    Result<ApiResponse> response = ApiResponse{200, "{}"};
    std::vector<std::string> lines;  // for stream()
  };
  void expect(const std::string& method, const std::string& path, int code, std::string body,
              std::vector<std::string> lines = {}) {
    answers_[method + " " + path].push_back({ApiResponse{code, std::move(body)}, std::move(lines)});
  }
  void fail(const std::string& method, const std::string& path, Error e) {
    answers_[method + " " + path].push_back({std::move(e), {}});
  }
  Result<ApiResponse> request(const ApiRequest& req) override {
    requests.push_back(req);
    auto& q = answers_[req.method + " " + req.path];
    if (q.empty()) return Error::internal("unexpected " + req.method + " " + req.path);
    auto a = q.front();
    q.pop_front();
    return a.response;
  }
  Result<ApiResponse> stream(const ApiRequest& req,
                             const std::function<bool(const std::string&)>& onLine) override {
    requests.push_back(req);
    auto& q = answers_[req.method + " " + req.path];
    if (q.empty()) return Error::internal("unexpected stream " + req.path);
    auto a = q.front();
    q.pop_front();
    if (a.response.ok() && a.response->ok()) {
      for (const auto& l : a.lines) {
        if (!onLine(l)) break;
      }
    }
    return a.response;
  }
  int writes() const {
    int n = 0;
    for (const auto& r : requests) n += r.method != "GET";
    return n;
  }
  std::vector<ApiRequest> requests;

 private:
  std::map<std::string, std::deque<Answer>> answers_;
};

}  // namespace mailroom::kube::testing
