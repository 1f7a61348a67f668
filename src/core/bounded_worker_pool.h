// BoundedWorkerPool: a small pool of its own for expensive blocking work (bcrypt), with a bound on
// how much may wait. A flood of such work then cannot take the threads that SQL-backed requests
// need, and cannot queue without limit: past `max_in_flight` jobs (running or queued), or after
// waiting `queue_timeout` for a thread, a job is refused with kUnavailable and a Retry-After.
//
// Thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "core/worker_pool.h"

namespace studybot {

struct BoundedPoolOptions {
  int threads = 2;                                // threads of the pool's own
  int max_in_flight = 32;                         // running + queued; more are refused at once
  std::chrono::milliseconds queue_timeout{5000};  // a job that waited longer is refused
  long retry_after_seconds = 1;                   // what refused callers are told
};

// What a readiness probe shows.
struct BoundedPoolLoad {
  int active = 0;  // running now
  int queued = 0;  // waiting for a thread
  int capacity = 0;
  bool saturated = false;  // the next job would be refused
};

class BoundedWorkerPool {
 public:
  explicit BoundedWorkerPool(BoundedPoolOptions options)
      : options_(options), pool_(options.threads) {}

  // Runs `fn` (returning Status or Result<T>) on the pool, or answers kUnavailable without
  // running it when the pool is saturated or the job waited past queue_timeout. `fn` must be an
  // lvalue that outlives the co_await (see WorkerPool::Run).
  template <typename F, typename R = std::invoke_result_t<F&>>
  boost::asio::awaitable<R> Run(F& fn) {
    if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
      in_flight_.fetch_sub(1);
      ++refused_;
      co_return Busy();
    }
    auto queued_at = std::chrono::steady_clock::now();
    auto job = [this, &fn, queued_at]() -> R {
      if (std::chrono::steady_clock::now() - queued_at > options_.queue_timeout) {
        ++refused_;
        return Busy();
      }
      ++active_;
      struct Leave {
        std::atomic<int>& n;
        ~Leave() { n.fetch_sub(1); }
      } leave{active_};
      return fn();
    };
    // The slot is given back however the job ends (WorkerPool::Run rethrows fn's exceptions).
    struct Release {
      std::atomic<int>& n;
      ~Release() { n.fetch_sub(1); }
    } release{in_flight_};
    R out = co_await pool_.Run(job);
    co_return out;
  }

  BoundedPoolLoad Load() const {
    int in_flight = in_flight_.load();
    int active = active_.load();
    return {active, std::max(0, in_flight - active), options_.max_in_flight,
            in_flight >= options_.max_in_flight};
  }
  // Jobs refused so far (saturated or timed out in the queue).
  long Refused() const { return refused_.load(); }

  void Stop() { pool_.Stop(); }

 private:
  Error Busy() const {
    Error e = Error::Unavailable("the server is busy signing people in; try again shortly");
    e.retry_after_seconds = options_.retry_after_seconds;
    return std::move(e).WithSlug("busy");
  }

  const BoundedPoolOptions options_;
  WorkerPool pool_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> active_{0};
  std::atomic<long> refused_{0};
};

}  // namespace studybot
