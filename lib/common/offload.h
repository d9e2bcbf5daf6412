// Runs blocking work (an fsync'ing spool write, a file read) on a thread pool and resumes the
// awaiting coroutine on its own executor with the result, so the event loop never blocks.
#pragma once

#include <deque>
#include <type_traits>
#include <utility>

#include "lib/common/asio.h"

namespace mailroom {

template <class F>
Task<std::invoke_result_t<F>> offload(asio::thread_pool& pool, F fn) {
  using R = std::invoke_result_t<F>;
  auto initiation = [&pool](auto handler, F f) {
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(
        pool, [f = std::move(f), handler = std::move(handler), work = std::move(work)]() mutable {
          R result = f();
          auto ex = work.get_executor();
          asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      initiation, asio::use_awaitable, std::move(fn));
}

// A counting semaphore for coroutines on one executor (not thread-safe: use it from the
// executor's thread only). Waiters are woken in FIFO order.
class AsyncSemaphore {
 public:
  AsyncSemaphore(asio::any_io_executor ex, int permits) : ex_(std::move(ex)), permits_(permits) {}

  Task<void> acquire() {
    while (permits_ <= 0) {
      asio::steady_timer waiter(ex_, asio::steady_timer::time_point::max());
      waiters_.push_back(&waiter);
      boost::system::error_code ec;
      co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --permits_;
  }
  bool tryAcquire() {
    if (permits_ <= 0) return false;
    --permits_;
    return true;
  }
  void release() {
    ++permits_;
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.pop_front();
    }
  }
  int available() const { return permits_; }

 private:
  asio::any_io_executor ex_;
  int permits_;
  std::deque<asio::steady_timer*> waiters_;
};

}  // namespace mailroom
