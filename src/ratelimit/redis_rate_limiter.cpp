#include "ratelimit/redis_rate_limiter.h"

#include "core/strings.h"
#include "ratelimit/gcra.h"

namespace studybot::ratelimit {
namespace {

// KEYS[1]: the key. ARGV: emission interval (us), delay tolerance (us), cost.
// Returns {allowed (1 or 0), the TAT stored before this call (0 if none), now (us)}; the caller
// derives the decision's numbers from these with GcraCheck, which applies the same comparison.
// Numbers are written with %d: Lua's default formatting of large numbers can lose digits.
constexpr std::string_view kGcraScript = R"lua(
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = tonumber(redis.call('GET', KEYS[1])) or 0
local pushed = math.max(stored, now) + interval * cost
if pushed - tolerance > now then
  return {0, stored, now}
end
if cost > 0 then
  redis.call('SET', KEYS[1], string.format('%d', pushed),
             'PX', string.format('%d', math.ceil((pushed - now) / 1000)))
end
return {1, stored, now}
)lua";

bool IsIntegerArray(const RedisReply& r, std::size_t n) {
  if (r.type != RedisReply::Type::kArray || r.elements.size() != n) return false;
  for (const auto& e : r.elements) {
    if (e.type != RedisReply::Type::kInteger) return false;
  }
  return true;
}

// An error reply to our script. Redis refusing us (credentials, a replica, still loading, a busy
// script) is an unavailable dependency, for which the failure policy applies; anything else means
// our script or our keys are wrong.
Error ScriptError(std::string_view step, const std::string& reply) {
  for (std::string_view prefix : {"NOAUTH", "WRONGPASS", "NOPERM", "LOADING", "BUSY", "MASTERDOWN",
                                  "READONLY", "TRYAGAIN", "CLUSTERDOWN", "MISCONF", "OOM"}) {
    if (StartsWith(reply, prefix)) {
      return Error::Unavailable("redis refused the rate limit " + std::string(step) + ": " + reply);
    }
  }
  return Error::Internal("redis rate limit " + std::string(step) + " failed: " + reply);
}

}  // namespace

Result<std::unique_ptr<RedisRateLimiter>> RedisRateLimiter::Create(
    const RedisRateLimiterOptions& options, const Clock& clock) {
  auto client = RedisClient::Create(options.redis, clock);
  if (!client.ok()) return std::move(client).error();
  return std::unique_ptr<RedisRateLimiter>(
      new RedisRateLimiter(std::move(*client), options.key_prefix));
}

RedisRateLimiter::RedisRateLimiter(std::unique_ptr<RedisClient> client, std::string key_prefix)
    : client_(std::move(client)), key_prefix_(std::move(key_prefix)) {}

RedisRateLimiter::~RedisRateLimiter() = default;

Result<RateLimitDecision> RedisRateLimiter::Check(std::string_view key, const RateLimit& limit,
                                                  int cost) {
  auto params = MakeGcraParams(limit, cost);
  if (!params.ok()) return std::move(params).error();
  auto sha = ScriptSha();
  if (!sha.ok()) return std::move(sha).error();

  const std::string full_key = key_prefix_ + std::string(key);
  const std::string interval = std::to_string(params->emission_interval_us);
  const std::string tolerance = std::to_string(params->delay_tolerance_us);
  const std::string cost_arg = std::to_string(cost);
  auto reply = client_->Command({"EVALSHA", *sha, "1", full_key, interval, tolerance, cost_arg});
  if (reply.ok() && reply->is_error() && StartsWith(reply->str, "NOSCRIPT")) {
    reply = client_->Command({"EVAL", kGcraScript, "1", full_key, interval, tolerance, cost_arg});
  }
  if (!reply.ok()) return std::move(reply).error();
  if (reply->is_error()) return ScriptError("script", reply->str);
  if (!IsIntegerArray(*reply, 3)) {
    return Error::Internal("redis rate limit script: unexpected reply");
  }

  const bool allowed = reply->elements[0].integer == 1;
  GcraOutcome out =
      GcraCheck(*params, reply->elements[1].integer, reply->elements[2].integer, cost);
  if (out.decision.allowed != allowed) {
    // The script and gcra.cpp must apply the same comparison; a mismatch is a bug.
    return Error::Internal("redis rate limit script disagrees with GCRA");
  }
  return out.decision;
}

Status RedisRateLimiter::Ping() {
  return client_->Ping();
}

Result<std::string> RedisRateLimiter::ScriptSha() {
  {
    std::lock_guard<std::mutex> lock(sha_mu_);
    if (!sha_.empty()) return sha_;
  }
  // Loaded outside the lock: concurrent first calls may each load it, which is harmless.
  auto reply = client_->Command({"SCRIPT", "LOAD", kGcraScript});
  if (!reply.ok()) return std::move(reply).error();
  if (reply->is_error()) return ScriptError("SCRIPT LOAD", reply->str);
  if (reply->type != RedisReply::Type::kString) {
    return Error::Internal("redis SCRIPT LOAD: unexpected reply");
  }
  std::lock_guard<std::mutex> lock(sha_mu_);
  sha_ = reply->str;
  return sha_;
}

}  // namespace studybot::ratelimit
