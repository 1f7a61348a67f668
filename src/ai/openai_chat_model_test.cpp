// OpenAiChatModel against a scripted StreamClient: the retry, breaker, limiter and cancellation
// logic, without sockets. tests/chat_model_fake_server_test.cpp runs it against FakeChatServer
// through the real CurlStreamClient.
#include "ai/openai_chat_model.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/fake_clock.h"
#include "loopback_listener.h"
#include "recording_chat_sink.h"

namespace studybot::ai {
namespace {

using namespace std::chrono_literals;
using testing::RecordingChatSink;

constexpr char kKey[] = "sk-unit-0123456789abcdefghij";

// What one exchange does.
struct Script {
  long status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "text/event-stream";
  std::vector<std::string> pieces;
  Status end;                    // OnDone's status
  bool hang = false;             // no head; OnDone(kCancelled) only once cancelled
  bool transport_error = false;  // OnDone(end) without a head
};

std::string Sse(const std::vector<std::string>& deltas, bool usage = true) {
  std::string out =
      "data: {\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
  for (const std::string& d : deltas) {
    out += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + d +
           "\"},\"finish_reason\":null}]}\n\n";
  }
  out += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  if (usage) {
    out +=
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":"
        "7,\"total_tokens\":18}}\n\n";
  }
  return out + "data: [DONE]\n\n";
}

Script Ok(std::vector<std::string> deltas = {"Hello", " world"}) {
  Script s;
  s.pieces = {Sse(deltas)};
  return s;
}

Script Http(long status, std::string body = "", decltype(Script::headers) headers = {}) {
  Script s;
  s.status = status;
  s.content_type = "application/json";
  s.headers = std::move(headers);
  s.pieces = {body.empty() ? R"({"error":{"message":"boom","type":"server_error","param":null,)"
                             R"("code":null}})"
                           : body};
  return s;
}

// A StreamClient that plays scripts in order, on the caller's thread (hanging ones until they
// are cancelled), and records what it was asked.
class ScriptedStreamClient final : public outbound::StreamClient {
 public:
  void Push(Script s) {
    std::lock_guard lock(mu_);
    scripts_.push_back(std::move(s));
  }
  void Start(outbound::StreamRequest request, std::shared_ptr<outbound::StreamHandler> handler,
             std::shared_ptr<Cancellation> cancel) override {
    Script s;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      times_.push_back(std::chrono::steady_clock::now());
      if (!scripts_.empty()) {
        s = std::move(scripts_.front());
        scripts_.pop_front();
      }
    }
    if (s.hang) {
      cancel->OnCancel([handler] { handler->OnDone(Error::Cancelled("cancelled")); });
      return;
    }
    if (s.transport_error) return handler->OnDone(s.end);
    outbound::HttpResponse head;
    head.status = s.status;
    head.headers = s.headers;
    head.content_type = s.content_type;
    if (!handler->OnHead(head)) return handler->OnDone(Error::Cancelled("stopped"));
    for (const std::string& p : s.pieces) {
      if (cancel->cancelled() || !handler->OnData(p)) {
        return handler->OnDone(Error::Cancelled("stopped"));
      }
    }
    handler->OnDone(s.end);
  }
  std::vector<outbound::StreamRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<std::chrono::steady_clock::time_point> times() {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  std::mutex mu_;
  std::deque<Script> scripts_;
  std::vector<outbound::StreamRequest> requests_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

class OpenAiChatModelTest : public ::testing::Test {
 protected:
  OpenAiChatModelTest()
      : work_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {
    options_.api_key = kKey;
    options_.retry_base = 1ms;
    options_.retry_cap = 2ms;
    options_.clock = &clock_;
    options_.jitter_seed = 7;
  }
  ~OpenAiChatModelTest() override {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  std::unique_ptr<OpenAiChatModel> Model() {
    auto m = MakeOpenAiChatModel(options_, client_, ioc_.get_executor());
    EXPECT_TRUE(m.ok()) << m.error().message;
    return std::move(*m);
  }
  static ChatRequest Request() {
    ChatRequest r;
    r.messages = {{"system", "Answer from the sources."}, {"user", "What is Studybot?"}};
    return r;
  }
  std::shared_ptr<RecordingChatSink> Ask(OpenAiChatModel& model,
                                         std::shared_ptr<Cancellation> cancel = nullptr) {
    auto sink = std::make_shared<RecordingChatSink>();
    model.Start(Request(), sink, cancel ? cancel : std::make_shared<Cancellation>());
    EXPECT_TRUE(sink->Wait());
    EXPECT_FALSE(sink->broken());
    return sink;
  }

  FakeClock clock_;
  OpenAiChatModelOptions options_;
  ScriptedStreamClient client_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

TEST_F(OpenAiChatModelTest, ValidatesOptions) {
  EXPECT_TRUE(options_.Validate().ok());
  auto bad = [&](auto change) {
    OpenAiChatModelOptions o = options_;
    change(o);
    return !o.Validate().ok();
  };
  EXPECT_TRUE(bad([](auto& o) { o.base_url = "ftp://x"; }));
  EXPECT_TRUE(bad([](auto& o) { o.base_url = "https://u:p@x/v1"; }));
  EXPECT_TRUE(bad([](auto& o) { o.model = ""; }));
  EXPECT_TRUE(bad([](auto& o) { o.max_attempts = 0; }));
  EXPECT_TRUE(bad([](auto& o) { o.head_timeout = 0ms; }));
  EXPECT_TRUE(bad([](auto& o) { o.retry_cap = 0ms; }));
  EXPECT_TRUE(bad([](auto& o) { o.breaker.failure_threshold = 0; }));
  EXPECT_TRUE(bad([](auto& o) {
    o.provider = OpenAiProvider::kAzure;
    o.azure_endpoint = "https://r.openai.azure.com";
    o.azure_deployment = "bad/name";
  }));
}

TEST_F(OpenAiChatModelTest, StreamsDeltasAndTheProvidersUsage) {
  client_.Push(Ok());
  auto model = Model();
  EXPECT_EQ(model->name(), "openai");
  EXPECT_EQ(model->url(), "https://api.openai.com/v1/chat/completions");
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->deltas(), (std::vector<std::string>{"Hello", " world"}));
  const ChatCompletion c = *sink->result();
  EXPECT_EQ(c.text, "Hello world");
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.model, "m-1");
  EXPECT_EQ(c.usage.prompt_tokens, 11);
  EXPECT_EQ(c.usage.completion_tokens, 7);
  EXPECT_FALSE(c.usage.estimated);

  const auto requests = client_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& http = requests[0].http;
  EXPECT_EQ(http.method, "POST");
  EXPECT_EQ(http.max_redirects, 0);
  EXPECT_NE(std::find(http.headers.begin(), http.headers.end(),
                      std::pair<std::string, std::string>{"Authorization",
                                                          std::string("Bearer ") + kKey}),
            http.headers.end());
  // OpenAI's own API gets max_completion_tokens.
  EXPECT_EQ(
      http.body,
      R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Answer from the )"
      R"(sources."},{"role":"user","content":"What is Studybot?"}],"temperature":2E-1,)"
      R"("max_completion_tokens":512,"stream":true,"stream_options":{"include_usage":true}})");
}

TEST_F(OpenAiChatModelTest, CompatibleServersGetMaxTokens) {
  options_.base_url = "http://127.0.0.1:11434/v1/";
  client_.Push(Ok());
  auto model = Model();
  EXPECT_EQ(model->url(), "http://127.0.0.1:11434/v1/chat/completions");
  Ask(*model);
  EXPECT_NE(client_.requests()[0].http.body.find("\"max_tokens\":512"), std::string::npos);
}

TEST_F(OpenAiChatModelTest, EstimatesUsageWhenTheProviderSendsNone) {
  Script s;
  s.pieces = {Sse({"Bonjour"}, false)};
  client_.Push(s);
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok());
  EXPECT_TRUE(sink->result()->usage.estimated);
  EXPECT_EQ(sink->result()->usage.prompt_tokens, EstimatePromptTokens(Request().messages));
  EXPECT_GT(sink->result()->usage.completion_tokens, 0);
}

TEST_F(OpenAiChatModelTest, RetriesA5xxBeforeAnyDelta) {
  client_.Push(Http(500));
  client_.Push(Http(503));
  client_.Push(Ok());
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->text(), "Hello world");
  EXPECT_EQ(client_.requests().size(), 3u);
}

TEST_F(OpenAiChatModelTest, GivesUpAfterMaxAttempts) {
  for (int i = 0; i < 3; ++i)
    client_.Push(Http(503));
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("after 3 attempts"), std::string::npos) << sink->message();
  EXPECT_EQ(client_.requests().size(), 3u);
}

TEST_F(OpenAiChatModelTest, HonoursRetryAfterMs) {
  client_.Push(Http(429, "", {{"retry-after-ms", "60"}}));
  client_.Push(Ok());
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  const auto times = client_.times();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_GE(times[1] - times[0], 60ms);
}

TEST_F(OpenAiChatModelTest, AHintLongerThanMaxRetryWaitEndsTheCall) {
  options_.max_retry_wait = 1s;
  client_.Push(Http(429, "", {{"retry-after", "30"}}));
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kRateLimited);
  EXPECT_EQ(sink->result().error().retry_after_seconds, 30);
  EXPECT_EQ(client_.requests().size(), 1u);
}

TEST_F(OpenAiChatModelTest, RetriesTransportErrorsButNotAfterADelta) {
  Script refused;
  refused.transport_error = true;
  refused.end = Error::Unavailable("127.0.0.1: connection refused");
  client_.Push(refused);
  client_.Push(Ok());
  auto model = Model();
  EXPECT_TRUE(Ask(*model)->result().ok());

  Script cut;
  cut.pieces = {"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"};
  cut.end = Error::Unavailable("timed out");
  client_.Push(cut);
  client_.Push(Ok());
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("cut after 1 deltas"), std::string::npos) << sink->message();
  EXPECT_EQ(sink->text(), "Hel");  // what was streamed stays
  EXPECT_EQ(client_.requests().size(), 3u);
}

TEST_F(OpenAiChatModelTest, RefusedKeyIsUnauthenticatedWithoutTheKey) {
  client_.Push(Http(401, std::string(R"({"error":{"message":"Incorrect API key provided: )") +
                             kKey +
                             R"(","type":"invalid_request_error","param":null,)"
                             R"("code":"invalid_api_key"}})"));
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(sink->message().find(kKey), std::string::npos);
  EXPECT_NE(sink->message().find("invalid_api_key"), std::string::npos) << sink->message();
  EXPECT_EQ(client_.requests().size(), 1u);
}

TEST_F(OpenAiChatModelTest, ContextLengthGetsItsSlug) {
  client_.Push(Http(400, R"({"object":"error","message":"This model's maximum context length )"
                         R"(is 4096 tokens. However, you requested 5000 tokens.",)"
                         R"("type":"BadRequestError","param":null,"code":400})"));
  client_.Push(Http(400, R"({"error":{"message":"Unknown parameter","type":)"
                         R"("invalid_request_error","param":"x","code":"unknown_parameter"}})"));
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(sink->result().error().slug, "context_length_exceeded");
  sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(sink->result().error().slug, "");
}

TEST_F(OpenAiChatModelTest, AnErrorEventMidStreamEndsTheCall) {
  Script s;
  s.pieces = {
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n"
      "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tial\"}}]}\n\n"};
  client_.Push(s);
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("overloaded"), std::string::npos);
  EXPECT_EQ(sink->text(), "Par");
}

TEST_F(OpenAiChatModelTest, NonStreamModeSendsOneDelta) {
  options_.stream = false;
  Script s;
  s.content_type = "application/json";
  s.pieces = {R"({"id":"x","object":"chat.completion","model":"gpt-4o-mini-2024","choices":[)",
              R"({"index":0,"message":{"role":"assistant","content":"Whole answer"},)"
              R"("finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})"};
  client_.Push(s);
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->deltas(), std::vector<std::string>{"Whole answer"});
  EXPECT_EQ(sink->result()->finish_reason, "length");
  EXPECT_EQ(sink->result()->usage.completion_tokens, 2);
  EXPECT_EQ(client_.requests()[0].http.body.find("\"stream\""), std::string::npos);
}

TEST_F(OpenAiChatModelTest, CircuitOpensAndFailsFastThenProbes) {
  options_.max_attempts = 1;
  options_.breaker.failure_threshold = 2;
  options_.breaker.cooldown = 30s;
  client_.Push(Http(503));
  client_.Push(Http(502));
  auto model = Model();
  EXPECT_EQ(Ask(*model)->code(), ErrorCode::kUnavailable);
  EXPECT_EQ(Ask(*model)->code(), ErrorCode::kUnavailable);
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("circuit open"), std::string::npos) << sink->message();
  EXPECT_EQ(client_.requests().size(), 2u);  // failed fast: nothing sent

  clock_.Advance(30s);
  client_.Push(Ok());
  EXPECT_TRUE(Ask(*model)->result().ok());  // the probe closes the circuit
  EXPECT_EQ(client_.requests().size(), 3u);
}

TEST_F(OpenAiChatModelTest, ClientErrorsDoNotOpenTheCircuit) {
  options_.max_attempts = 1;
  options_.breaker.failure_threshold = 1;
  client_.Push(Http(400, R"({"error":{"message":"bad","type":"invalid_request_error"}})"));
  client_.Push(Ok());
  auto model = Model();
  EXPECT_EQ(Ask(*model)->code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Ask(*model)->result().ok());
}

TEST_F(OpenAiChatModelTest, CancelAbortsTheExchange) {
  Script hang;
  hang.hang = true;
  client_.Push(hang);
  auto model = Model();
  auto cancel = std::make_shared<Cancellation>();
  auto sink = std::make_shared<RecordingChatSink>();
  model->Start(Request(), sink, cancel);
  testing::WaitUntil([&] { return client_.requests().size() == 1; });
  cancel->Cancel();
  ASSERT_TRUE(sink->Wait());
  EXPECT_EQ(sink->code(), ErrorCode::kCancelled);
}

TEST_F(OpenAiChatModelTest, CancelEndsABackoffWait) {
  options_.retry_base = 60s;
  options_.retry_cap = 60s;
  options_.jitter_seed = 1;
  client_.Push(Http(503, "", {{"retry-after", "50"}}));
  options_.max_retry_wait = 100s;
  auto model = Model();
  auto cancel = std::make_shared<Cancellation>();
  auto sink = std::make_shared<RecordingChatSink>();
  model->Start(Request(), sink, cancel);
  testing::WaitUntil([&] { return client_.requests().size() == 1; });
  std::this_thread::sleep_for(20ms);  // let the call reach its backoff wait
  EXPECT_FALSE(sink->done());
  const auto before = std::chrono::steady_clock::now();
  cancel->Cancel();
  ASSERT_TRUE(sink->Wait());
  EXPECT_EQ(sink->code(), ErrorCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(client_.requests().size(), 1u);
}

TEST_F(OpenAiChatModelTest, AlreadyCancelledSendsNothing) {
  auto model = Model();
  auto cancel = std::make_shared<Cancellation>();
  cancel->Cancel();
  EXPECT_EQ(Ask(*model, cancel)->code(), ErrorCode::kCancelled);
  EXPECT_EQ(client_.requests().size(), 0u);
}

TEST_F(OpenAiChatModelTest, AzureUrlAndKeyHeader) {
  options_.provider = OpenAiProvider::kAzure;
  options_.azure_endpoint = "https://res.openai.azure.com/";
  options_.azure_deployment = "chat-4o";
  options_.model = "";
  client_.Push(Ok());
  auto model = Model();
  EXPECT_EQ(model->name(), "azure");
  EXPECT_EQ(model->url(),
            "https://res.openai.azure.com/openai/deployments/chat-4o/chat/completions"
            "?api-version=2024-10-21");
  Ask(*model);
  const outbound::HttpRequest http = client_.requests()[0].http;
  EXPECT_NE(std::find(http.headers.begin(), http.headers.end(),
                      std::pair<std::string, std::string>{"api-key", kKey}),
            http.headers.end());
  EXPECT_EQ(http.body.find("\"model\""), std::string::npos);
}

}  // namespace
}  // namespace studybot::ai
