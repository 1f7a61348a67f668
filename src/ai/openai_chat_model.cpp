#include "ai/openai_chat_model.h"

#include <utility>

#include <boost/url/parse.hpp>

#include "ai/backoff.h"
#include "ai/openai_chat_call.h"
#include "core/strings.h"
#include "ingest/token_count.h"

namespace studybot::ai {
namespace {

using std::chrono::milliseconds;

OpenAiTarget TargetOf(const OpenAiChatModelOptions& o) {
  return {o.provider, o.base_url, o.azure_endpoint, o.azure_deployment, o.azure_api_version};
}

// OpenAI's own API (and Azure) take max_completion_tokens; see the header for why others don't.
bool UsesMaxCompletionTokens(const OpenAiChatModelOptions& o) {
  using Field = OpenAiChatModelOptions::TokenLimitField;
  if (o.token_limit_field != Field::kAuto)
    return o.token_limit_field == Field::kMaxCompletionTokens;
  if (o.provider == OpenAiProvider::kAzure) return true;
  auto url = boost::urls::parse_absolute_uri(o.base_url);
  return url && ToLower(std::string(url->host())) == "api.openai.com";
}

}  // namespace

int64_t EstimatePromptTokens(const std::vector<ChatTurn>& messages) {
  int64_t total = 3;
  for (const ChatTurn& t : messages)
    total += 4 + static_cast<int64_t>(ingest::CountTokens(t.content));
  return total;
}

Status OpenAiChatModelOptions::Validate() const {
  if (provider == OpenAiProvider::kOpenAi && model.empty()) {
    return Error::InvalidArgument("model must be set");
  }
  auto url = OperationUrl(TargetOf(*this), "chat/completions");
  if (!url.ok()) return std::move(url).error();
  if (head_timeout.count() <= 0) return Error::InvalidArgument("head_timeout must be positive");
  if (idle_timeout.count() <= 0) return Error::InvalidArgument("idle_timeout must be positive");
  if (total_timeout.count() <= 0) return Error::InvalidArgument("total_timeout must be positive");
  if (max_body_bytes == 0) return Error::InvalidArgument("max_body_bytes must be positive");
  if (max_attempts < 1) return Error::InvalidArgument("max_attempts must be >= 1");
  if (retry_base.count() <= 0 || retry_cap < retry_base) {
    return Error::InvalidArgument("retry_base must be positive and at most retry_cap");
  }
  if (max_retry_wait.count() <= 0) {
    return Error::InvalidArgument("max_retry_wait must be positive");
  }
  if (auto s = budget.Validate(); !s.ok()) {
    return Error::InvalidArgument("budget." + s.error().message);
  }
  if (auto s = breaker.Validate(); !s.ok()) {
    return Error::InvalidArgument("breaker." + s.error().message);
  }
  return OkStatus();
}

OpenAiChatModel::Shared::Shared(OpenAiChatModelOptions o, std::string chat_url,
                                outbound::StreamClient& c, boost::asio::any_io_executor e,
                                ChatAccount a)
    : options(std::move(o)),
      url(std::move(chat_url)),
      what(options.provider == OpenAiProvider::kAzure ? "azure openai chat" : "openai chat"),
      default_model(options.provider == OpenAiProvider::kAzure && options.model.empty()
                        ? options.azure_deployment
                        : options.model),
      max_completion_tokens(UsesMaxCompletionTokens(options)),
      client(c),
      executor(std::move(e)),
      own_clock(options.clock == nullptr ? std::make_unique<RealClock>() : nullptr),
      clock(options.clock != nullptr ? *options.clock : *own_clock),
      account{a.budget ? std::move(a.budget)
                       : std::make_shared<RateBudget>(options.budget, clock, RealSleep()),
              a.breaker ? std::move(a.breaker)
                        : std::make_shared<CircuitBreaker>(options.breaker, clock)},
      rng(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {}

milliseconds OpenAiChatModel::Shared::Backoff(int attempt) {
  std::lock_guard lock(rng_mu);
  return FullJitterBackoff(attempt, options.retry_base, options.retry_cap, rng);
}

Result<std::unique_ptr<OpenAiChatModel>> MakeOpenAiChatModel(OpenAiChatModelOptions options,
                                                             outbound::StreamClient& client,
                                                             boost::asio::any_io_executor executor,
                                                             ChatAccount account) {
  if (auto s = options.Validate(); !s.ok()) {
    return Error::InvalidArgument("openai chat model: " + s.error().message);
  }
  auto url = OperationUrl(TargetOf(options), "chat/completions");
  if (!url.ok()) return std::move(url).error();
  auto shared = std::make_shared<OpenAiChatModel::Shared>(
      std::move(options), std::move(*url), client, std::move(executor), std::move(account));
  return std::unique_ptr<OpenAiChatModel>(new OpenAiChatModel(std::move(shared)));
}

OpenAiChatModel::OpenAiChatModel(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

OpenAiChatModel::~OpenAiChatModel() = default;

std::string OpenAiChatModel::name() const {
  return shared_->options.provider == OpenAiProvider::kAzure ? "azure" : "openai";
}

const std::string& OpenAiChatModel::url() const {
  return shared_->url;
}

void OpenAiChatModel::Start(ChatRequest request, std::shared_ptr<ChatSink> sink,
                            std::shared_ptr<Cancellation> cancel) {
  std::make_shared<OpenAiChatCall>(shared_, std::move(request), std::move(sink), std::move(cancel))
      ->Begin();
}

}  // namespace studybot::ai
