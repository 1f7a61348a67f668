// RedisRateLimiter: the RateLimiter shared by every API node, kept in Redis.
//
// One Lua script runs GCRA (gcra.h) atomically on the server: it reads the key's TAT, takes `now`
// from Redis' own TIME (so all nodes share one clock, whatever their own clocks say), and writes
// the pushed TAT with an expiry at that TAT (a key whose TAT has passed is a full bucket, so Redis
// may forget it). Allowed in Redis >= 5 because scripts replicate their effects, not the script.
// The script is loaded with SCRIPT LOAD and run with EVALSHA; on NOSCRIPT (Redis restarted, or
// SCRIPT FLUSH) it is sent again with EVAL, which also caches it.
//
// Keys are stored as `key_prefix + key`. When Redis cannot be reached Check fails with
// kUnavailable; wrap the limiter in FailurePolicyRateLimiter to choose fail-open or fail-closed.
//
// Thread-safe; each call holds one pooled connection (see RedisClient).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/time.h"
#include "ratelimit/rate_limiter.h"
#include "ratelimit/redis_client.h"

namespace studybot::ratelimit {

struct RedisRateLimiterOptions {
  // Connection URL, pool and timeouts.
  RedisClientOptions redis;
  // Namespace of our keys in Redis, so that a shared Redis can hold other data.
  std::string key_prefix = "studybot:rl:";
};

class RedisRateLimiter final : public RateLimiter {
 public:
  // Does not connect: the server may start before Redis. `clock` (used only to pace reconnects;
  // rate-limit time is Redis' TIME) must outlive the limiter.
  // Errors: kInvalidArgument for a bad URL or option.
  static Result<std::unique_ptr<RedisRateLimiter>> Create(const RedisRateLimiterOptions& options,
                                                          const Clock& clock);
  ~RedisRateLimiter() override;

  // Errors: kInvalidArgument (see RateLimiter); kUnavailable when Redis cannot be reached;
  // kUnavailable also when Redis refuses us (NOAUTH, READONLY replica, LOADING, OOM...); kInternal
  // when Redis answers the script with any other error (e.g. the key holds another type).
  Result<RateLimitDecision> Check(std::string_view key, const RateLimit& limit,
                                  int cost = 1) override;

  // For the readiness check: OK when Redis answers PING.
  Status Ping();

  const RedisUrl& url() const { return client_->url(); }

 private:
  RedisRateLimiter(std::unique_ptr<RedisClient> client, std::string key_prefix);

  // The script's SHA1, from SCRIPT LOAD on first use.
  Result<std::string> ScriptSha();

  const std::unique_ptr<RedisClient> client_;
  const std::string key_prefix_;
  std::mutex sha_mu_;
  std::string sha_;  // GUARDED_BY(sha_mu_); empty until loaded
};

}  // namespace studybot::ratelimit
