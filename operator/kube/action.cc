#include "operator/kube/action.h"

namespace mailroom::kube {

Action errorPolicy(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kTemporary:
    case ErrorKind::kInternal:
      return retryWithBackoff();
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kPermanent:
    case ErrorKind::kNotFound:
      return awaitChange();
  }
  return retryWithBackoff();
}

void applyAction(WorkQueue& queue, const std::string& key, const Action& action) {
  switch (action.kind) {
    case Action::Kind::kAwaitChange:
      queue.forget(key);
      break;
    case Action::Kind::kRequeueAfter:
      queue.forget(key);
      queue.addAfter(key, action.after);
      break;
    case Action::Kind::kRetryWithBackoff:
      queue.addRateLimited(key);
      break;
  }
}

}  // namespace mailroom::kube
