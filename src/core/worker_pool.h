// WorkerPool: threads for blocking work (SQL, password hashing, index I/O) so that the I/O threads
// never block. A coroutine awaits `pool.Run(fn)` and resumes on its own executor with fn's result.
//
// Thread-safe.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace studybot {

class WorkerPool {
 public:
  explicit WorkerPool(int threads) : pool_(static_cast<std::size_t>(threads)) {}
  ~WorkerPool() { Stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `fn` on a worker thread; an exception thrown by fn is rethrown in the awaiting coroutine.
  //
  // `fn` must be a named object (an lvalue) that outlives the co_await: g++ 12 miscompiles
  // temporaries with non-trivial destructors inside a co_await expression (a lambda capturing
  // strings, passed as a temporary or a by-value coroutine parameter, was destroyed twice). Write
  //   auto job = [=] { ... };
  //   auto result = co_await workers.Run(job);
  template <typename F, typename R = std::invoke_result_t<F&>>
  boost::asio::awaitable<R> Run(F& fn) {
    std::optional<R> out;
    std::exception_ptr failure;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [&](auto handler) {
          boost::asio::post(pool_, [&, handler = std::move(handler)]() mutable {
            try {
              out.emplace(fn());
            } catch (...) {
              failure = std::current_exception();
            }
            auto ex = boost::asio::get_associated_executor(handler);
            boost::asio::post(ex, std::move(handler));
          });
        },
        boost::asio::use_awaitable);
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*out);
  }

  // Runs `fn` on a worker thread without waiting for it (fire and forget). `fn` must not throw.
  template <typename F>
  void Post(F fn) {
    boost::asio::post(pool_, std::move(fn));
  }

  // Waits for queued work to finish and joins the threads.
  void Stop() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace studybot
