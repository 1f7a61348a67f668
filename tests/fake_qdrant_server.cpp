#include "fake_qdrant_server.h"

#include <optional>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/strings.h"
#include "fake_qdrant_engine.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Reply JsonReply(unsigned status, const json::object& body) {
  return Reply{status, json::serialize(body), {{"Content-Type", "application/json"}}};
}

Reply Ok(const json::value& result, Clock::time_point start) {
  return JsonReply(200,
                   json::object{{"result", result}, {"status", "ok"}, {"time", Seconds(start)}});
}

Reply ErrorReply(unsigned status, const std::string& error, Clock::time_point start) {
  return JsonReply(status, json::object{{"status", {{"error", error}}}, {"time", Seconds(start)}});
}

Reply Text(unsigned status, std::string text) {
  return Reply{status, std::move(text), {{"Content-Type", "text/plain; charset=utf-8"}}};
}

// `wait` of the query string: absent is false; anything but true/false is refused.
std::optional<bool> WaitParam(const std::string& query, std::string& error) {
  for (std::string_view pair : Split(query, '&')) {
    if (!pair.starts_with("wait=")) continue;
    std::string_view v = pair.substr(5);
    if (v == "true") return true;
    if (v == "false") return false;
    error = "Query deserialize error: provided string was not `true` or `false`";
    return std::nullopt;
  }
  return false;
}

struct Route {
  enum Op {
    kNone,
    kReady,
    kExists,
    kCreate,
    kDrop,
    kIndex,
    kUpsert,
    kDelete,
    kQuery,
    kQueryBatch
  } op = kNone;
  std::string collection;
  bool write = false;
};

Route Match(const std::string& method, const std::string& path) {
  if (path == "/readyz" && method == "GET") return {Route::kReady, "", false};
  const std::vector<std::string_view> parts = Split(path, '/');  // "", "collections", c, ...
  if (parts.size() < 3 || !parts[0].empty() || parts[1] != "collections" || parts[2].empty()) {
    return {};
  }
  Route r;
  r.collection = std::string(parts[2]);
  std::string rest;
  for (std::size_t i = 3; i < parts.size(); ++i)
    rest += "/" + std::string(parts[i]);
  if (rest.empty() && method == "PUT") r.op = Route::kCreate;
  if (rest.empty() && method == "DELETE") r.op = Route::kDrop;
  if (rest == "/exists" && method == "GET") r.op = Route::kExists;
  if (rest == "/index" && method == "PUT") r.op = Route::kIndex;
  if (rest == "/points" && method == "PUT") r.op = Route::kUpsert;
  if (rest == "/points/delete" && method == "POST") r.op = Route::kDelete;
  if (rest == "/points/query" && method == "POST") r.op = Route::kQuery;
  if (rest == "/points/query/batch" && method == "POST") r.op = Route::kQueryBatch;
  r.write = r.op == Route::kCreate || r.op == Route::kDrop || r.op == Route::kIndex ||
            r.op == Route::kUpsert || r.op == Route::kDelete;
  return r;
}

}  // namespace

FakeQdrantServer::FakeQdrantServer(FakeQdrantOptions options)
    : options_(std::move(options)),
      state_(std::make_unique<FakeQdrantState>()),
      server_([this](const ReceivedRequest& r) { return Handle(r); }) {}

FakeQdrantServer::~FakeQdrantServer() {
  // Cut a pending delay short so that the server thread can be joined at once.
  std::lock_guard lock(mu_);
  stopping_ = true;
  wake_.notify_all();
}

void FakeQdrantServer::Push(FakeQdrantFault fault, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i)
    faults_.push_back(fault);
}

void FakeQdrantServer::FailNext(int n, unsigned status) {
  Push(FakeQdrantFault{std::chrono::milliseconds(0), status}, n);
}

void FakeQdrantServer::DelayNext(int n, std::chrono::milliseconds delay) {
  Push(FakeQdrantFault{delay, 0}, n);
}

void FakeQdrantServer::ReleaseDelays() {
  std::lock_guard lock(mu_);
  ++release_epoch_;
  std::erase_if(faults_, [](const FakeQdrantFault& f) { return f.delay.count() > 0; });
  wake_.notify_all();
}

void FakeQdrantServer::ClearFaults() {
  std::lock_guard lock(mu_);
  ++release_epoch_;
  faults_.clear();
  wake_.notify_all();
}

std::vector<FakeQdrantCall> FakeQdrantServer::Calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

std::size_t FakeQdrantServer::CountCalls(const std::string& method, const std::string& path) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const FakeQdrantCall& c : calls_)
    n += c.method == method && c.path == path ? 1 : 0;
  return n;
}

bool FakeQdrantServer::HasCollection(const std::string& name) {
  return state_->HasCollection(name);
}
std::size_t FakeQdrantServer::PointCount(const std::string& name) {
  return state_->PointCount(name);
}
std::map<std::string, std::string> FakeQdrantServer::PayloadIndexes(const std::string& name) {
  return state_->PayloadIndexes(name);
}
std::string FakeQdrantServer::PayloadOf(const std::string& collection,
                                        const std::string& point_id) {
  return state_->PayloadOf(collection, point_id);
}

Reply FakeQdrantServer::Handle(const ReceivedRequest& request) {
  const auto start = Clock::now();
  FakeQdrantCall call;
  call.method = request.method;
  const auto q = request.target.find('?');
  call.path = request.target.substr(0, q);
  if (q != std::string::npos) call.query = request.target.substr(q + 1);
  call.body = request.body;
  call.api_key = request.Header("api-key");

  auto answer = [&]() -> Reply {
    const Route route = Match(request.method, call.path);
    if (route.op == Route::kNone) return Text(404, "");

    // Authentication first, as Qdrant's middleware; the probes are open.
    if (!options_.api_key.empty() && route.op != Route::kReady) {
      std::string key = call.api_key;
      const std::string auth = request.Header("authorization");
      if (key.empty() && auth.starts_with("Bearer ")) key = auth.substr(7);
      if (key.empty()) {
        return Text(401, "Must provide an API key or an Authorization bearer token");
      }
      const bool read_only =
          !options_.read_only_api_key.empty() && key == options_.read_only_api_key;
      if (key != options_.api_key && !read_only) return Text(401, "Invalid API key or JWT");
      if (read_only && route.write) return Text(403, "Write access denied");
    }

    FakeQdrantFault fault;
    {
      std::unique_lock lock(mu_);
      if (!faults_.empty()) {
        fault = faults_.front();
        faults_.pop_front();
      }
      if (fault.delay.count() > 0) {
        const uint64_t epoch = release_epoch_;
        wake_.wait_for(lock, fault.delay, [&] { return stopping_ || release_epoch_ != epoch; });
      }
    }
    if (fault.status != 0) {
      if (route.op == Route::kReady) return Text(fault.status, "some shards are not ready");
      return ErrorReply(fault.status,
                        fault.status == 503 ? "Service unavailable: the node is overloaded"
                                            : "Service internal error: injected failure",
                        start);
    }
    if (route.op == Route::kReady) return Text(200, "all shards are ready");

    std::string error;
    const std::optional<bool> wait = WaitParam(call.query, error);
    if (!wait) return ErrorReply(400, error, start);
    FakeAnswer a;
    switch (route.op) {
      case Route::kExists:
        a = state_->Exists(route.collection);
        break;
      case Route::kCreate:
        a = state_->CreateCollection(route.collection, request.body);
        break;
      case Route::kDrop:
        a = state_->DeleteCollection(route.collection);
        break;
      case Route::kIndex:
        a = state_->CreateIndex(route.collection, request.body, *wait);
        break;
      case Route::kUpsert:
        a = state_->Upsert(route.collection, request.body, *wait);
        break;
      case Route::kDelete:
        a = state_->Delete(route.collection, request.body, *wait);
        break;
      case Route::kQuery:
        a = state_->Query(route.collection, request.body);
        break;
      case Route::kQueryBatch:
        a = state_->QueryBatch(route.collection, request.body);
        break;
      case Route::kNone:
      case Route::kReady:
        break;
    }
    if (a.status != 200) return ErrorReply(a.status, a.error, start);
    return Ok(a.result, start);
  };
  Reply reply = answer();
  call.status = reply.status;
  std::lock_guard lock(mu_);
  calls_.push_back(std::move(call));
  return reply;
}

}  // namespace studybot::testing
