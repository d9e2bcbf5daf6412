#include <gtest/gtest.h>

#include <thread>

#include "lib/common/offload.h"
#include "lib/common/result.h"

namespace mailroom {
namespace {

TEST(Offload, RunsOnThePoolAndResumesOnTheLoop) {
  asio::io_context io;
  asio::thread_pool pool(2);
  std::thread::id loopThread, workThread, resumedThread;
  Result<int> got = Error::internal("unset");
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        loopThread = std::this_thread::get_id();
        got = co_await offload(pool, [&]() -> Result<int> {
          workThread = std::this_thread::get_id();
          return 42;
        });
        resumedThread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  pool.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 42);
  EXPECT_NE(workThread, loopThread);
  EXPECT_EQ(resumedThread, loopThread);
}

TEST(AsyncSemaphore, LimitsConcurrencyFifo) {
  asio::io_context io;
  AsyncSemaphore sem(io.get_executor(), 2);
  int active = 0, maxActive = 0, done = 0;
  for (int i = 0; i < 6; ++i) {
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          co_await sem.acquire();
          ++active;
          maxActive = std::max(maxActive, active);
          asio::steady_timer t(io, std::chrono::milliseconds(1));
          co_await t.async_wait(asio::use_awaitable);
          --active;
          ++done;
          sem.release();
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(done, 6);
  EXPECT_EQ(maxActive, 2);
}

}  // namespace
}  // namespace mailroom
