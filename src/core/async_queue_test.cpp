#include "core/async_queue.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace studybot {
namespace {

namespace asio = boost::asio;

TEST(AsyncQueueTest, ItemsFromAnotherThreadArriveInOrder) {
  asio::io_context ioc;
  auto q = std::make_shared<AsyncQueue<int>>(ioc.get_executor());
  std::vector<int> got;
  bool ended = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto items = co_await q->Next(std::chrono::milliseconds(60000));
          if (!items) break;
          got.insert(got.end(), items->begin(), items->end());
        }
        ended = true;
      },
      asio::detached);
  std::thread producer([q] {
    for (int i = 0; i < 1000; ++i)
      q->Push(i);
    q->Close();
    q->Push(1000);  // dropped: closed
  });
  ioc.run();
  producer.join();
  EXPECT_TRUE(ended);
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
}

TEST(AsyncQueueTest, TimeoutGivesAnEmptyBatch) {
  asio::io_context ioc;
  auto q = std::make_shared<AsyncQueue<int>>(ioc.get_executor());
  std::optional<std::vector<int>> first;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> { first = co_await q->Next(std::chrono::milliseconds(1)); },
      asio::detached);
  ioc.run();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->empty());
}

TEST(AsyncQueueTest, ConsumerMayGoFirst) {
  asio::io_context ioc;
  std::weak_ptr<AsyncQueue<int>> weak;
  {
    auto q = std::make_shared<AsyncQueue<int>>(ioc.get_executor());
    weak = q;
    q->Push(1);  // posts a wake-up that holds the queue
  }
  EXPECT_FALSE(weak.expired());
  ioc.run();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace studybot
