#include "redis_server.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <hiredis/hiredis.h>

#include "core/strings.h"
#include "process.h"

namespace studybot::testing {
namespace {

// Generous: a loaded CI machine can take a while to exec a process.
constexpr auto kStartupDeadline = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string FindOnPath(const std::string& name) {
  const char* path = getenv("PATH");
  for (std::string_view dir : Split(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  for (const char* dir : {"/usr/sbin", "/usr/local/bin"}) {
    std::string candidate = std::string(dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string Tail(const std::string& path, std::size_t max_chars = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_chars ? s.substr(s.size() - max_chars) : s;
}

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr Send(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

std::string Render(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r.integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r.elements; ++i) {
        if (i > 0) out += "\n";
        out += Render(*r.element[i]);
      }
      return out;
    }
    default:
      return std::string(r.str, r.len);
  }
}

}  // namespace

bool SkipRedisTests() {
  const char* v = getenv("STUDYBOT_TEST_SKIP_REDIS");
  return v != nullptr && std::string_view(v) == "1";
}

Result<std::unique_ptr<RedisServer>> RedisServer::Start(const Options& options) {
  std::string binary = FindOnPath("redis-server");
  if (binary.empty()) {
    return Error::Unavailable(
        "redis-server is not installed (apt-get install redis-server), or set "
        "STUDYBOT_TEST_SKIP_REDIS=1 to skip the Redis tests");
  }
  std::string templ = (std::filesystem::temp_directory_path() / "studybot-redis-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return Error::Unavailable("mkdtemp failed");
  std::unique_ptr<RedisServer> server(new RedisServer(options, binary, templ, FreePort()));
  if (Status st = server->Launch(); !st.ok()) return std::move(st).error();
  return server;
}

RedisServer::RedisServer(const Options& options, std::string binary, std::string dir, int port)
    : options_(options), binary_(std::move(binary)), dir_(std::move(dir)), port_(port) {}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::url(int db) const {
  std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

void RedisServer::Stop() {
  if (!child_) return;
  child_->Signal(SIGTERM);
  child_->Wait();
  child_.reset();
}

Status RedisServer::Restart() {
  Stop();
  return Launch();
}

Status RedisServer::Launch() {
  // clang-format off
  std::vector<std::string> args = {
      binary_, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no", "--dir", dir_, "--daemonize", "no"};
  // clang-format on
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::string log = dir_ + "/redis-" + std::to_string(++launches_) + ".log";
  child_ = std::make_unique<ChildProcess>(args, std::map<std::string, std::string>{}, log);

  auto deadline = std::chrono::steady_clock::now() + kStartupDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    auto pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") return OkStatus();
    std::this_thread::sleep_for(kPollInterval);
  }
  Stop();
  return Error::Unavailable("redis-server did not answer PING on port " + std::to_string(port_) +
                            "; its log:\n" + Tail(log));
}

Result<std::string> RedisServer::Command(const std::vector<std::string>& args, int db) {
  ContextPtr c(redisConnectWithTimeout("127.0.0.1", port_, timeval{1, 0}));
  if (!c || c->err) return Error::Unavailable("cannot connect to the test redis-server");
  redisSetTimeout(c.get(), timeval{5, 0});
  std::vector<std::vector<std::string>> setup;
  if (!options_.password.empty()) setup.push_back({"AUTH", options_.password});
  if (db != 0) setup.push_back({"SELECT", std::to_string(db)});
  for (const auto& s : setup) {
    ReplyPtr r = Send(c.get(), s);
    if (!r || r->type == REDIS_REPLY_ERROR) return Error::Unavailable("test redis setup failed");
  }
  ReplyPtr reply = Send(c.get(), args);
  if (!reply) return Error::Unavailable(std::string("test redis command failed: ") + c->errstr);
  return Render(*reply);
}

}  // namespace studybot::testing
