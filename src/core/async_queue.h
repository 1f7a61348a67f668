// AsyncQueue: hands items from any thread (a worker, the outbound client's thread) to one
// coroutine on an executor (a connection's strand), which waits for them without holding a
// thread. What a streamed answer uses to carry an LLM's deltas to the visitor's connection.
//
// Waking: Push locks, appends, and, unless a wake-up is already on its way, posts one to the
// consumer's executor that cancels the consumer's timer. The consumer checks the queue before
// each wait, and the posted wake-up cannot run before the consumer has suspended on the timer
// (both run on the same executor), so no item is ever left waiting for a wake-up.
//
// Thread-safety: Push and Close from any thread; Next from one coroutine at a time, on
// `executor`. Shared (std::shared_ptr) by producers and the consumer, so either may go first.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace studybot {

template <typename T>
class AsyncQueue : public std::enable_shared_from_this<AsyncQueue<T>> {
 public:
  explicit AsyncQueue(boost::asio::any_io_executor executor)
      : executor_(executor), timer_(executor) {}

  // Appends `item`; dropped when the queue is closed.
  void Push(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      items_.push_back(std::move(item));
    }
    Wake();
  }

  // No item is accepted afterwards; a waiting Next returns what is left, then nullopt.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    Wake();
  }

  // Every item queued so far (at least one), waiting up to `timeout` for the first: an empty
  // vector when the timeout passed first, nullopt once the queue is closed and drained.
  boost::asio::awaitable<std::optional<std::vector<T>>> Next(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mu_);
        wake_pending_ = false;
        if (!items_.empty()) {
          std::vector<T> out(std::make_move_iterator(items_.begin()),
                             std::make_move_iterator(items_.end()));
          items_.clear();
          co_return out;
        }
        if (closed_) co_return std::nullopt;
      }
      if (std::chrono::steady_clock::now() >= deadline) co_return std::vector<T>{};
      timer_.expires_at(deadline);
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }

 private:
  void Wake() {
    {
      std::lock_guard lock(mu_);
      if (wake_pending_) return;
      wake_pending_ = true;
    }
    boost::asio::post(executor_, [self = this->shared_from_this()] { self->timer_.cancel(); });
  }

  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer timer_;  // used on executor_ only
  std::mutex mu_;
  std::deque<T> items_;        // REQUIRES: mu_ held
  bool closed_ = false;        // REQUIRES: mu_ held
  bool wake_pending_ = false;  // REQUIRES: mu_ held
};

}  // namespace studybot
