#include "ai/openai_embedder.h"

#include <cmath>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "fake_openai_server.h"
#include "outbound/http_client.h"

namespace studybot::ai {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using testing::FakeBreakage;
using testing::FakeOpenAiOptions;
using testing::FakeOpenAiServer;

constexpr char kKey[] = "sk-fake-0123456789abcdefghij";

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions options;
  options.addresses.allow_private = true;  // the fake listens on 127.0.0.1
  return options;
}

double Norm(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v)
    sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

json::object Body(const testing::FakeEmbeddingCall& call) {
  return json::parse(call.request.body).as_object();
}

std::string ImfFixdate(SystemTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

class OpenAiEmbedderTest : public ::testing::Test {
 protected:
  OpenAiEmbedder::Options OptionsFor(const FakeOpenAiServer& fake) {
    OpenAiEmbedder::Options o;
    o.base_url = fake.base_url();
    o.api_key = kKey;
    o.timeout = std::chrono::seconds(10);
    // Waiting is recorded and moves the fake clock: no test really sleeps.
    o.sleep = [this](milliseconds d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    };
    o.clock = &clock_;
    o.jitter_seed = 42;
    return o;
  }

  std::unique_ptr<OpenAiEmbedder> Make(const OpenAiEmbedder::Options& o) {
    auto made = MakeOpenAiEmbedder(o, http_);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? std::move(*made) : nullptr;
  }

  FakeClock clock_;
  std::vector<milliseconds> sleeps_;
  outbound::CurlHttpClient http_{AllowLoopback()};
};

TEST_F(OpenAiEmbedderTest, ReturnsUnitVectorsInInputOrder) {
  FakeOpenAiOptions fo;
  fo.shuffle_data = true;  // the client must go by `index`
  fo.unnormalized = true;  // and normalise itself
  FakeOpenAiServer fake(fo);
  auto embedder = Make(OptionsFor(fake));
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->id(), "openai/text-embedding-3-small/1536");
  EXPECT_EQ(embedder->dimensions(), 1536);

  const std::vector<std::string> texts = {"alpha", "beta", "gamma", "delta", "épsilon"};
  auto got = embedder->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_NEAR(Norm((*got)[i]), 1.0, 1e-5);
    ExpectNear((*got)[i], FakeOpenAiServer::ExpectedVector(texts[i], 1536));
  }

  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].status, 200u);
  EXPECT_EQ(calls[0].request.target, "/v1/embeddings");
  EXPECT_EQ(calls[0].request.Header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(calls[0].request.Header("content-type"), "application/json");
  json::object body = Body(calls[0]);
  EXPECT_EQ(body.at("model"), "text-embedding-3-small");
  EXPECT_EQ(body.at("encoding_format"), "float");
  EXPECT_FALSE(body.contains("dimensions"));
  EXPECT_EQ(body.at("input").as_array().size(), texts.size());
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(OpenAiEmbedderTest, EmptyTextsEmbedToZeroWithoutBeingSent) {
  FakeOpenAiServer fake;
  auto embedder = Make(OptionsFor(fake));
  auto none = embedder->Embed({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(fake.Calls().empty());

  auto got = embedder->Embed({"", "text", ""});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)[0], std::vector<float>(1536, 0.0f));
  EXPECT_EQ((*got)[2], std::vector<float>(1536, 0.0f));
  ExpectNear((*got)[1], FakeOpenAiServer::ExpectedVector("text", 1536));
  ASSERT_EQ(fake.Calls().size(), 1u);
  EXPECT_EQ(fake.Calls()[0].inputs, 1u);
}

TEST_F(OpenAiEmbedderTest, BatchesByInputCount) {
  FakeOpenAiServer fake;
  auto o = OptionsFor(fake);
  o.max_inputs_per_request = 3;
  auto embedder = Make(o);
  std::vector<std::string> texts;
  for (int i = 0; i < 7; ++i)
    texts.push_back("text " + std::to_string(i));
  auto got = embedder->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.error().message;
  for (std::size_t i = 0; i < texts.size(); ++i)
    ExpectNear((*got)[i], FakeOpenAiServer::ExpectedVector(texts[i], 1536));
  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].inputs, 3u);
  EXPECT_EQ(calls[1].inputs, 3u);
  EXPECT_EQ(calls[2].inputs, 1u);
}

TEST_F(OpenAiEmbedderTest, BatchesByTokenBudget) {
  FakeOpenAiServer fake;
  auto o = OptionsFor(fake);
  o.max_tokens_per_request = 10;
  o.max_input_tokens = 10;
  auto embedder = Make(o);
  // 13..16 bytes: 4 tokens each, so two fit in 10 and a third does not.
  std::vector<std::string> texts;
  for (int i = 0; i < 5; ++i)
    texts.push_back("sixteen bytes #" + std::to_string(i));
  ASSERT_EQ(OpenAiEmbedder::EstimateTokens(texts[0]), 4);
  auto got = embedder->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.error().message;
  for (std::size_t i = 0; i < texts.size(); ++i)
    ExpectNear((*got)[i], FakeOpenAiServer::ExpectedVector(texts[i], 1536));
  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].inputs, 2u);
  EXPECT_EQ(calls[1].inputs, 2u);
  EXPECT_EQ(calls[2].inputs, 1u);
}

TEST_F(OpenAiEmbedderTest, SendsDimensionsAndExpectsThem) {
  FakeOpenAiServer fake;
  auto o = OptionsFor(fake);
  o.model = "text-embedding-3-large";
  o.dimensions = 256;
  auto embedder = Make(o);
  EXPECT_EQ(embedder->id(), "openai/text-embedding-3-large/256");
  EXPECT_EQ(embedder->dimensions(), 256);
  auto got = embedder->Embed({"short"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  ExpectNear((*got)[0], FakeOpenAiServer::ExpectedVector("short", 256));
  EXPECT_EQ(Body(fake.Calls()[0]).at("dimensions"), 256);
}

TEST_F(OpenAiEmbedderTest, RefusesVectorsOfAnotherLength) {
  // An Ollama-like server whose model has 384 dimensions, configured as if it had 512.
  FakeOpenAiOptions fo;
  fo.extra_models = {{"mini", 384}};
  FakeOpenAiServer fake(fo);
  auto o = OptionsFor(fake);
  o.model = "mini";
  o.dimensions = 512;
  o.send_dimensions = false;
  auto embedder = Make(o);
  auto got = embedder->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("384 dimensions, expected 512"), std::string::npos)
      << got.error().message;
  EXPECT_FALSE(Body(fake.Calls()[0]).contains("dimensions"));

  o.dimensions = 384;
  auto right = Make(o)->Embed({"text"});
  ASSERT_TRUE(right.ok()) << right.error().message;
  ExpectNear((*right)[0], FakeOpenAiServer::ExpectedVector("text", 384));
}

TEST_F(OpenAiEmbedderTest, AzureUsesItsUrlAndKeyHeader) {
  FakeOpenAiServer fake;
  auto o = OptionsFor(fake);
  o.provider = OpenAiProvider::kAzure;
  o.azure_endpoint = fake.endpoint() + "/";
  o.azure_deployment = "embed";
  auto embedder = Make(o);
  EXPECT_EQ(embedder->id(), "azure/embed/1536");
  auto got = embedder->Embed({"hello", "world"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  ExpectNear((*got)[1], FakeOpenAiServer::ExpectedVector("world", 1536));
  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].request.target, "/openai/deployments/embed/embeddings?api-version=2024-10-21");
  EXPECT_EQ(calls[0].request.Header("api-key"), kKey);
  EXPECT_EQ(calls[0].request.Header("authorization"), "");
  EXPECT_FALSE(Body(calls[0]).contains("model"));
}

TEST_F(OpenAiEmbedderTest, HonoursRetryAfterSeconds) {
  FakeOpenAiServer fake;
  fake.RateLimitNext(2, "3");
  auto embedder = Make(OptionsFor(fake));
  auto got = embedder->Embed({"text"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  ExpectNear((*got)[0], FakeOpenAiServer::ExpectedVector("text", 1536));
  EXPECT_EQ(fake.Calls().size(), 3u);
  // The hint (3 s) is longer than the backoff of the first attempts (at most 0.5 s, 1 s).
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(3000), milliseconds(3000)}));
}

TEST_F(OpenAiEmbedderTest, HonoursRetryAfterMsAndHttpDate) {
  FakeOpenAiServer fake;
  fake.RateLimitNext(1, "", "1500");
  // The fake clock stands still while the request is on the wire, so the date is exact.
  fake.RateLimitNext(1, ImfFixdate(clock_.Now() + std::chrono::seconds(8)));
  auto embedder = Make(OptionsFor(fake));
  auto got = embedder->Embed({"text"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  // First 1.5 s; then the date, 8 s after the start and so 6.5 s after the first sleep.
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(1500), milliseconds(6500)}));
}

TEST_F(OpenAiEmbedderTest, BackoffWhenTheHintIsShorter) {
  FakeOpenAiServer fake;
  fake.RateLimitNext(4, "", "1");  // 1 ms: the backoff wins
  auto o = OptionsFor(fake);
  auto embedder = Make(o);
  ASSERT_TRUE(embedder->Embed({"text"}).ok());
  ASSERT_EQ(sleeps_.size(), 4u);
  for (std::size_t i = 0; i < sleeps_.size(); ++i) {
    EXPECT_GE(sleeps_[i], milliseconds(1));
    EXPECT_LE(sleeps_[i], milliseconds(500) * (1 << i));
  }
}

TEST_F(OpenAiEmbedderTest, RetriesServerErrors) {
  FakeOpenAiServer fake;
  fake.FailNext(1, 500);
  fake.FailNext(1, 503);
  auto embedder = Make(OptionsFor(fake));
  auto got = embedder->Embed({"text"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].status, 500u);
  EXPECT_EQ(calls[1].status, 503u);
  EXPECT_EQ(calls[2].status, 200u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_LE(sleeps_[0], milliseconds(500));  // full jitter under the exponential ceiling
  EXPECT_LE(sleeps_[1], milliseconds(1000));
}

TEST_F(OpenAiEmbedderTest, StillRateLimitedAfterRetries) {
  FakeOpenAiServer fake;
  fake.RateLimitNext(10, "4");
  auto o = OptionsFor(fake);
  o.max_retries = 2;
  auto got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(got.error().retry_after_seconds, 4);
  EXPECT_NE(got.error().message.find("429"), std::string::npos) << got.error().message;
  EXPECT_EQ(fake.Calls().size(), 3u);
  EXPECT_EQ(sleeps_.size(), 2u);
}

TEST_F(OpenAiEmbedderTest, GivesUpAtOnceWhenAskedToWaitTooLong) {
  FakeOpenAiServer fake;
  fake.RateLimitNext(1, "3600");
  auto got = Make(OptionsFor(fake))->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(got.error().retry_after_seconds, 3600);
  EXPECT_EQ(fake.Calls().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(OpenAiEmbedderTest, StillFailingAfterRetriesIsUnavailable) {
  FakeOpenAiServer fake;
  fake.FailNext(10, 503);
  auto o = OptionsFor(fake);
  o.max_retries = 3;
  auto got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("503 after 4 attempts"), std::string::npos)
      << got.error().message;
  EXPECT_EQ(fake.Calls().size(), 4u);
}

TEST_F(OpenAiEmbedderTest, UnreachableServerIsRetriedThenUnavailable) {
  OpenAiEmbedder::Options o;
  {
    FakeOpenAiServer gone;  // nothing listens on its port once it is destroyed
    o = OptionsFor(gone);
  }
  o.max_retries = 2;
  auto got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("after 3 attempts"), std::string::npos) << got.error().message;
  EXPECT_EQ(sleeps_.size(), 2u);
}

TEST_F(OpenAiEmbedderTest, RefusedKeyIsUnauthenticatedWithoutTheKey) {
  FakeOpenAiServer fake;
  const std::string wrong = "sk-wrong-secret-value-9876543210";
  for (auto provider : {OpenAiProvider::kOpenAi, OpenAiProvider::kAzure}) {
    auto o = OptionsFor(fake);
    o.provider = provider;
    o.azure_endpoint = fake.endpoint();
    o.azure_deployment = "embed";
    o.api_key = wrong;
    auto got = Make(o)->Embed({"text"});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::kUnauthenticated);
    const std::string& m = got.error().message;
    EXPECT_NE(m.find("the API key was refused (401"), std::string::npos) << m;
    EXPECT_EQ(m.find(wrong), std::string::npos) << m;
    EXPECT_EQ(m.find(wrong.substr(wrong.size() - 4)), std::string::npos) << m;  // masked echo
    EXPECT_EQ(m.find("Incorrect API key"), std::string::npos) << m;
  }
  EXPECT_EQ(fake.Calls().size(), 2u);  // not retried
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_NE(fake.Calls()[0].request.body.find("text"), std::string::npos);
}

TEST_F(OpenAiEmbedderTest, RefusedRequestIsInvalidArgument) {
  FakeOpenAiOptions fo;
  fo.extra_models = {{"mini", 384}};
  FakeOpenAiServer fake(fo);
  auto o = OptionsFor(fake);
  o.model = "mini";
  o.dimensions = 384;  // sent: this model refuses the field
  auto got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(got.error().message.find("(400"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("does not support specifying dimensions"), std::string::npos)
      << got.error().message;

  o.model = "no-such-model";
  got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(got.error().message.find("404; model_not_found"), std::string::npos)
      << got.error().message;
  EXPECT_EQ(fake.Calls().size(), 2u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(OpenAiEmbedderTest, SlowAnswerTimesOutAndIsRetried) {
  FakeOpenAiServer fake;
  fake.DelayNext(2, std::chrono::seconds(30));  // cut short when the fake is destroyed
  auto o = OptionsFor(fake);
  o.timeout = milliseconds(300);
  o.max_retries = 1;
  auto got = Make(o)->Embed({"text"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("timed out"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("after 2 attempts"), std::string::npos) << got.error().message;
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(OpenAiEmbedderTest, MalformedAnswersAreErrors) {
  for (FakeBreakage breakage : {FakeBreakage::kDropOne, FakeBreakage::kWrongDimension,
                                FakeBreakage::kNonFinite, FakeBreakage::kDuplicateIndex}) {
    SCOPED_TRACE(static_cast<int>(breakage));
    FakeOpenAiServer fake;
    fake.BreakNext(1, breakage);
    auto got = Make(OptionsFor(fake))->Embed({"one", "two", "three"});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(got.error().message.rfind("openai embeddings: ", 0), 0u) << got.error().message;
    EXPECT_EQ(fake.Calls().size(), 1u);  // not retried
  }
}

TEST_F(OpenAiEmbedderTest, RateBudgetMakesRequestsWait) {
  FakeOpenAiServer fake;
  auto o = OptionsFor(fake);
  o.budget.requests_per_minute = 60;  // one a second, no burst beyond one
  o.budget.burst = milliseconds(1000);
  auto embedder = Make(o);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(embedder->Embed({"text"}).ok());
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(1000), milliseconds(1000)}));

  sleeps_.clear();
  o.budget = {};
  o.budget.tokens_per_minute = 6000;  // 100 a second, at most 100 saved up
  o.budget.burst = milliseconds(1000);
  auto by_tokens = Make(o);
  const std::string text(400, 'x');  // 100 tokens
  ASSERT_TRUE(by_tokens->Embed({text}).ok());
  ASSERT_TRUE(by_tokens->Embed({text, text}).ok());  // 200 tokens: waits 2 s
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(2000)}));
}

TEST_F(OpenAiEmbedderTest, RefusesAnOversizeInputBeforeSending) {
  FakeOpenAiServer fake;
  auto embedder = Make(OptionsFor(fake));
  const std::string fits(8191 * 4, 'a');
  const std::string too_long(8191 * 4 + 1, 'a');
  auto got = embedder->Embed({"short", too_long, fits});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(got.error().message.find("input 1 is about 8192 tokens"), std::string::npos)
      << got.error().message;
  ASSERT_EQ(got.error().details.size(), 1u);
  EXPECT_EQ(got.error().details[0].path, "/1");
  EXPECT_TRUE(fake.Calls().empty());
}

TEST(MakeOpenAiEmbedderTest, RefusesBadOptions) {
  outbound::CurlHttpClient http(AllowLoopback());
  struct Case {
    const char* name;
    std::function<void(OpenAiEmbedder::Options&)> change;
    const char* mentions;
  };
  const Case cases[] = {
      {"ftp base", [](auto& o) { o.base_url = "ftp://example.com/v1"; }, "base_url"},
      {"relative base", [](auto& o) { o.base_url = "/v1"; }, "base_url"},
      {"base with key", [](auto& o) { o.base_url = "https://k:s@example.com/v1"; }, "user info"},
      {"no model", [](auto& o) { o.model = ""; }, "model"},
      {"unknown model", [](auto& o) { o.model = "nomic-embed-text"; }, "dimensions"},
      {"zero dims", [](auto& o) { o.dimensions = 0; }, "dimensions"},
      {"too many dims", [](auto& o) { o.dimensions = 2000; }, "at most 1536"},
      {"ada dims",
       [](auto& o) {
         o.model = "text-embedding-ada-002";
         o.dimensions = 512;
       },
       "always has 1536"},
      {"zero timeout", [](auto& o) { o.timeout = milliseconds(0); }, "timeout"},
      {"zero inputs", [](auto& o) { o.max_inputs_per_request = 0; }, "max_inputs_per_request"},
      {"too many inputs", [](auto& o) { o.max_inputs_per_request = 4096; },
       "max_inputs_per_request"},
      {"zero tokens", [](auto& o) { o.max_tokens_per_request = 0; }, "max_tokens_per_request"},
      {"input over request", [](auto& o) { o.max_tokens_per_request = 100; }, "max_input_tokens"},
      {"negative retries", [](auto& o) { o.max_retries = -1; }, "max_retries"},
      {"base over cap", [](auto& o) { o.retry_base = milliseconds(30'000); }, "retry_base"},
      {"negative rpm", [](auto& o) { o.budget.requests_per_minute = -1; }, "requests_per_minute"},
      {"azure no deployment",
       [](auto& o) {
         o.provider = OpenAiProvider::kAzure;
         o.azure_endpoint = "https://r.openai.azure.com";
       },
       "azure_deployment"},
      {"azure bad deployment",
       [](auto& o) {
         o.provider = OpenAiProvider::kAzure;
         o.azure_endpoint = "https://r.openai.azure.com";
         o.azure_deployment = "a/b";
       },
       "azure_deployment"},
      {"azure no endpoint",
       [](auto& o) {
         o.provider = OpenAiProvider::kAzure;
         o.azure_deployment = "embed";
       },
       "azure_endpoint"},
  };
  for (const Case& c : cases) {
    OpenAiEmbedder::Options o;
    c.change(o);
    auto made = MakeOpenAiEmbedder(o, http);
    ASSERT_FALSE(made.ok()) << c.name;
    EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_NE(made.error().message.find(c.mentions), std::string::npos)
        << c.name << ": " << made.error().message;
  }

  OpenAiEmbedder::Options local;
  local.base_url = "http://127.0.0.1:11434/v1/";
  local.model = "nomic-embed-text";
  local.dimensions = 768;
  auto made = MakeOpenAiEmbedder(local, http);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ((*made)->id(), "openai/nomic-embed-text/768");
  EXPECT_EQ(KnownEmbeddingDimensions("text-embedding-3-large"), 3072);
  EXPECT_EQ(KnownEmbeddingDimensions("nomic-embed-text"), std::nullopt);
}

}  // namespace
}  // namespace studybot::ai
