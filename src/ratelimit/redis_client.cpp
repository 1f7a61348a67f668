#include "ratelimit/redis_client.h"

#include <sys/time.h>

#include <cerrno>

#include <hiredis/hiredis.h>

namespace studybot::ratelimit {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

RedisReply Copy(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i)
        out.elements.push_back(Copy(*r.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr SendCommand(redisContext* c, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), argvlen.data())));
}

}  // namespace

void RedisClient::ContextDeleter::operator()(redisContext* c) const {
  redisFree(c);
}

Result<std::unique_ptr<RedisClient>> RedisClient::Create(const RedisClientOptions& options,
                                                         const Clock& clock) {
  auto url = ParseRedisUrl(options.url);
  if (!url.ok()) return std::move(url).error();
  if (options.pool_size < 1) return Error::InvalidArgument("redis: pool_size must be >= 1");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return Error::InvalidArgument("redis: timeouts must be positive");
  }
  return std::unique_ptr<RedisClient>(new RedisClient(options, std::move(*url), clock));
}

RedisClient::RedisClient(const RedisClientOptions& options, RedisUrl url, const Clock& clock)
    : options_(options), url_(std::move(url)), clock_(clock), free_slots_(options.pool_size) {}

RedisClient::~RedisClient() = default;

Result<RedisReply> RedisClient::Command(std::initializer_list<std::string_view> args) {
  return Run(args, /*ignore_backoff=*/false);
}

Status RedisClient::Ping() {
  auto reply = Run({"PING"}, /*ignore_backoff=*/true);
  if (!reply.ok()) return std::move(reply).error();
  if (reply->type != RedisReply::Type::kStatus || reply->str != "PONG") {
    return Unavailable("unexpected answer to PING: " + reply->str);
  }
  return OkStatus();
}

Result<RedisReply> RedisClient::Run(std::initializer_list<std::string_view> args,
                                    bool ignore_backoff) {
  auto leased = Acquire();
  if (!leased.ok()) return std::move(leased).error();
  ContextPtr context = std::move(*leased);
  bool fresh = false;
  for (;;) {
    if (!context) {
      auto connected = Connect(ignore_backoff);
      if (!connected.ok()) {
        Release(nullptr);
        return std::move(connected).error();
      }
      context = std::move(*connected);
      fresh = true;
    }
    ReplyPtr reply = SendCommand(context.get(), args);
    if (reply) {
      RedisReply out = Copy(*reply);
      Release(std::move(context));
      return out;
    }
    const int saved_errno = errno;
    const int err = context->err;
    std::string why = context->errstr;
    context.reset();
    // The server closed a pooled connection (it restarted, or dropped idle clients): the command
    // was not run, so run it on a new connection. Any other failure (a timeout above all) may have
    // run it, and is reported.
    bool closed = err == REDIS_ERR_EOF ||
                  (err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
    if (closed && !fresh) {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.clear();  // the other idle connections are most likely closed too
      continue;
    }
    Release(nullptr);
    return Unavailable(why);
  }
}

Result<RedisClient::ContextPtr> RedisClient::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!freed_.wait_for(lock, options_.acquire_timeout, [this] { return free_slots_ > 0; })) {
    return Unavailable("no free connection in the pool");
  }
  --free_slots_;
  if (idle_.empty()) return ContextPtr();
  ContextPtr c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void RedisClient::Release(ContextPtr context) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++free_slots_;
    if (context) idle_.push_back(std::move(context));
  }
  freed_.notify_one();
}

Result<RedisClient::ContextPtr> RedisClient::Connect(bool ignore_backoff) {
  if (!ignore_backoff) {
    std::lock_guard<std::mutex> lock(mu_);
    if (clock_.Monotonic() < next_connect_at_) {
      return Unavailable("not retrying yet after a failed connection");
    }
  }
  auto fail = [this](std::string why) -> Error {
    std::lock_guard<std::mutex> lock(mu_);
    next_connect_at_ = clock_.Monotonic() + options_.reconnect_backoff;
    return Unavailable(why);
  };

  ContextPtr c(
      redisConnectWithTimeout(url_.host.c_str(), url_.port, ToTimeval(options_.connect_timeout)));
  if (!c) return fail("cannot allocate a connection");
  if (c->err) return fail(c->errstr);
  if (redisSetTimeout(c.get(), ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return fail("cannot set the command timeout");
  }

  auto setup = [&](std::initializer_list<std::string_view> args, std::string_view step) -> Status {
    ReplyPtr reply = SendCommand(c.get(), args);
    if (!reply) return fail(c->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
      // The server's text ("WRONGPASS invalid username-password pair") never echoes the password.
      return fail(std::string(step) + " failed: " + std::string(reply->str, reply->len));
    }
    return OkStatus();
  };
  if (!url_.password.empty()) {
    Status st = url_.username.empty() ? setup({"AUTH", url_.password}, "AUTH")
                                      : setup({"AUTH", url_.username, url_.password}, "AUTH");
    if (!st.ok()) return std::move(st).error();
  }
  if (url_.db != 0) {
    std::string db = std::to_string(url_.db);
    if (Status st = setup({"SELECT", db}, "SELECT"); !st.ok()) return std::move(st).error();
  }

  std::lock_guard<std::mutex> lock(mu_);
  next_connect_at_ = {};
  return c;
}

Error RedisClient::Unavailable(std::string_view what) const {
  return Error::Unavailable("redis at " + url_.host + ":" + std::to_string(url_.port) + ": " +
                            std::string(what));
}

}  // namespace studybot::ratelimit
