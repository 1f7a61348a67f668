// RedisClient: a small pool of blocking hiredis connections to one Redis server.
//
// Connections are made lazily, on first use, with the URL's credentials and database, and bounded
// by connect and command timeouts. A connection that fails is dropped and a new one is made on the
// next call; a pooled connection found closed by the server (Redis restarted) is replaced at once
// and the command retried on the new one. After a failed connect, calls fail fast with
// kUnavailable until `reconnect_backoff` has passed on the injected Clock, so that an outage costs
// each request nothing rather than a connect timeout.
//
// Thread-safe: each call leases a connection for its duration; at most `pool_size` are open.
// Lives in ratelimit/ because the rate limiter is its only user so far; it knows nothing of rate
// limits and can move to a shared folder when a second feature needs Redis.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "ratelimit/redis_url.h"

struct redisContext;

namespace studybot::ratelimit {

struct RedisClientOptions {
  // redis://[[user]:password@]host[:port][/db]; see redis_url.h.
  std::string url = "redis://127.0.0.1:6379/0";
  // Connections kept open at most; also the number of calls that can run at once. >= 1.
  int pool_size = 4;
  // Bound on establishing a connection (TCP connect).
  std::chrono::milliseconds connect_timeout{250};
  // Bound on each send and each receive of a command.
  std::chrono::milliseconds command_timeout{250};
  // Bound on waiting for a free connection when all are leased.
  std::chrono::milliseconds acquire_timeout{1000};
  // After a failed connect, calls fail fast for this long before trying again.
  std::chrono::milliseconds reconnect_backoff{500};
};

// A reply, copied out of hiredis. An error reply (type kError) is a normal answer from the server,
// not a failure of the call.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;               // kInteger
  std::string str;                   // kString, kStatus, kError
  std::vector<RedisReply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  // Parses the URL and checks the options; does not connect (Redis may come up later).
  // `clock` must outlive the client.
  // Errors: kInvalidArgument for a bad URL or option.
  static Result<std::unique_ptr<RedisClient>> Create(const RedisClientOptions& options,
                                                     const Clock& clock);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command; arguments are binary-safe.
  // Errors: kUnavailable when Redis cannot be reached, refuses our credentials, times out, or no
  // connection became free within acquire_timeout. The message names host and port, never the
  // password.
  Result<RedisReply> Command(std::initializer_list<std::string_view> args);

  // PING; OK when the server answers PONG. Connects even during the reconnect backoff, so that a
  // readiness probe sees a recovery at once. Errors: as Command.
  Status Ping();

  const RedisUrl& url() const { return url_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  RedisClient(const RedisClientOptions& options, RedisUrl url, const Clock& clock);

  Result<RedisReply> Run(std::initializer_list<std::string_view> args, bool ignore_backoff);
  // Waits for a free slot; the slot may come with an idle connection or with none.
  Result<ContextPtr> Acquire();
  void Release(ContextPtr context);
  Result<ContextPtr> Connect(bool ignore_backoff);
  Error Unavailable(std::string_view what) const;

  const RedisClientOptions options_;
  const RedisUrl url_;
  const Clock& clock_;

  std::mutex mu_;
  std::condition_variable freed_;
  int free_slots_;                                           // GUARDED_BY(mu_)
  std::vector<ContextPtr> idle_;                             // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point next_connect_at_{};  // GUARDED_BY(mu_)
};

}  // namespace studybot::ratelimit
