#include "ratelimit/memory_rate_limiter.h"

#include <algorithm>
#include <stdexcept>

#include "ratelimit/gcra.h"

namespace studybot::ratelimit {

MemoryRateLimiter::MemoryRateLimiter(const MemoryRateLimiterOptions& options, const Clock& clock)
    : clock_(clock),
      per_shard_cap_(options.shards > 0 ? options.max_entries / options.shards : 0),
      sweep_every_(options.sweep_every) {
  if (options.shards < 1) throw std::invalid_argument("rate limiter: shards must be >= 1");
  if (per_shard_cap_ < 1) {
    throw std::invalid_argument("rate limiter: max_entries must be >= shards");
  }
  if (options.sweep_every < 1) {
    throw std::invalid_argument("rate limiter: sweep_every must be >= 1");
  }
  shards_.reserve(options.shards);
  for (int i = 0; i < options.shards; ++i)
    shards_.push_back(std::make_unique<Shard>());
}

MemoryRateLimiter::~MemoryRateLimiter() = default;

Result<RateLimitDecision> MemoryRateLimiter::Check(std::string_view key, const RateLimit& limit,
                                                   int cost) {
  auto params = MakeGcraParams(limit, cost);
  if (!params.ok()) return std::move(params).error();

  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  // Read the clock under the lock so that the TATs of one key are computed in time order.
  const int64_t now = NowMicros();
  auto it = shard.tats.find(key);
  const int64_t tat = it == shard.tats.end() ? 0 : it->second;
  GcraOutcome out = GcraCheck(*params, tat, now, cost);

  if (out.decision.allowed && cost > 0) {
    if (it != shard.tats.end()) {
      it->second = out.new_tat_us;
    } else {
      MakeRoomLocked(shard, now);
      shard.tats.emplace(std::string(key), out.new_tat_us);
    }
  } else if (it != shard.tats.end() && it->second <= now) {
    shard.tats.erase(it);
  }

  if (++shard.checks_since_sweep >= sweep_every_) SweepLocked(shard, now);
  return out.decision;
}

std::size_t MemoryRateLimiter::Sweep() {
  std::size_t dropped = 0;
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    dropped += SweepLocked(*shard, NowMicros());
  }
  return dropped;
}

std::size_t MemoryRateLimiter::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    n += shard->tats.size();
  }
  return n;
}

MemoryRateLimiter::Shard& MemoryRateLimiter::ShardFor(std::string_view key) {
  return *shards_[KeyHash{}(key) % shards_.size()];
}

int64_t MemoryRateLimiter::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             clock_.Monotonic().time_since_epoch())
      .count();
}

std::size_t MemoryRateLimiter::SweepLocked(Shard& shard, int64_t now_us) {
  shard.checks_since_sweep = 0;
  return std::erase_if(shard.tats, [now_us](const auto& kv) { return kv.second <= now_us; });
}

void MemoryRateLimiter::MakeRoomLocked(Shard& shard, int64_t now_us) {
  if (shard.tats.size() < per_shard_cap_) return;
  SweepLocked(shard, now_us);
  if (shard.tats.size() < per_shard_cap_) return;
  auto soonest = std::min_element(shard.tats.begin(), shard.tats.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
  shard.tats.erase(soonest);
  evictions_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace studybot::ratelimit
