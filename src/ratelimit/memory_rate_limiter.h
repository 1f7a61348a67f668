// MemoryRateLimiter: the in-process RateLimiter, for a single node (the embedded default).
//
// Keys live in a fixed number of shards, each a mutex-protected hash map from key to TAT (see
// gcra.h), so checks on different keys rarely contend. Time comes from the injected Clock's
// monotonic reading: wall-clock steps cannot refill or drain buckets.
//
// Memory is bounded. A key whose TAT has passed holds no information (it is a full bucket), so it
// is dropped when next touched and by a sweep that runs every `sweep_every` checks of its shard
// (and by Sweep()). When a shard is still at its share of `max_entries` after a sweep, the key
// closest to expiry is evicted: of all live keys it is the one that forgets the least.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "ratelimit/rate_limiter.h"

namespace studybot::ratelimit {

struct MemoryRateLimiterOptions {
  // Independent locks; more shards mean less contention between threads. >= 1.
  int shards = 16;
  // The most keys held across all shards (each shard holds at most its equal share). >= shards.
  std::size_t max_entries = 100'000;
  // A shard drops its expired keys after this many checks on it. >= 1.
  int sweep_every = 1024;
};

class MemoryRateLimiter final : public RateLimiter {
 public:
  // `clock` must outlive the limiter. Throws std::invalid_argument for malformed options (a
  // start-up error).
  MemoryRateLimiter(const MemoryRateLimiterOptions& options, const Clock& clock);
  ~MemoryRateLimiter() override;
  MemoryRateLimiter(const MemoryRateLimiter&) = delete;
  MemoryRateLimiter& operator=(const MemoryRateLimiter&) = delete;

  // Never fails with kUnavailable. The same key should always be checked with the same limit.
  Result<RateLimitDecision> Check(std::string_view key, const RateLimit& limit,
                                  int cost = 1) override;

  // Drops every key whose TAT has passed; returns how many were dropped.
  std::size_t Sweep();
  // Keys currently held.
  std::size_t size() const;
  // Live keys evicted because the table was full (a sign max_entries is too small, or a flood of
  // distinct keys).
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, int64_t, KeyHash, std::equal_to<>> tats;  // GUARDED_BY(mu)
    int checks_since_sweep = 0;                                               // GUARDED_BY(mu)
  };

  Shard& ShardFor(std::string_view key);
  int64_t NowMicros() const;
  // REQUIRES: shard.mu held.
  static std::size_t SweepLocked(Shard& shard, int64_t now_us);
  // Ensures the shard has room for one more key. REQUIRES: shard.mu held.
  void MakeRoomLocked(Shard& shard, int64_t now_us);

  const Clock& clock_;
  const std::size_t per_shard_cap_;
  const int sweep_every_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace studybot::ratelimit
