#include "chat/chat_models.h"

#include <boost/json/serialize.hpp>

#include "core/crypto.h"

namespace studybot::chat {

Result<std::shared_ptr<ai::ChatModel>> ChatModelRegistry::For(const chatbots::Chatbot& bot) {
  const auto& a = bot.answers;
  if (a.provider == "builtin") {
    // Not owned: the registry's owner keeps the built-in answerer.
    return std::shared_ptr<ai::ChatModel>(std::shared_ptr<ai::ChatModel>(), &builtin_);
  }
  auto secret = secrets_(bot.id, chatbots::kChatSecret);
  if (!secret.ok()) return secret.error();
  std::string key = secret->value_or(defaults_.openai_api_key);

  ai::OpenAiChatModelOptions o = defaults_.tuning;
  o.api_key = key;
  o.model = bot.model;
  bool operator_url = false;
  if (a.provider == "azure") {
    o.provider = ai::OpenAiProvider::kAzure;
    o.azure_endpoint = a.endpoint;
    o.azure_deployment = a.deployment;
    if (!a.api_version.empty()) o.azure_api_version = a.api_version;
  } else {
    o.provider = ai::OpenAiProvider::kOpenAi;
    if (!a.base_url.empty()) {
      o.base_url = a.base_url;
    } else if (!defaults_.openai_base_url.empty()) {
      o.base_url = defaults_.openai_base_url;
      operator_url = true;
    }
  }
  std::string place =
      a.provider == "azure" ? o.azure_endpoint + "/" + o.azure_deployment : o.base_url;
  std::string account_key = place + "|" + Sha256Hex(key);
  boost::json::object shape{{"provider", a.provider},
                            {"model", bot.model},
                            {"place", place},
                            {"key", Sha256Hex(key)},
                            {"operator", operator_url}};
  std::string fingerprint = boost::json::serialize(shape);

  std::lock_guard lock(mu_);
  auto it = models_.find(bot.id);
  if (it != models_.end() && it->second.fingerprint == fingerprint) return it->second.model;
  ai::ChatAccount& account = accounts_[account_key];
  const Clock& clock = defaults_.tuning.clock != nullptr ? *defaults_.tuning.clock : clock_;
  if (!account.budget) {
    auto v = defaults_.tuning.budget.Validate();
    if (!v.ok()) return v.error();
    account.budget =
        std::make_shared<ai::RateBudget>(defaults_.tuning.budget, clock, ai::RealSleep());
  }
  if (!account.breaker) {
    auto v = defaults_.tuning.breaker.Validate();
    if (!v.ok()) return v.error();
    account.breaker = std::make_shared<ai::CircuitBreaker>(defaults_.tuning.breaker, clock);
  }
  auto made = ai::MakeOpenAiChatModel(
      std::move(o), operator_url ? operator_client_ : guarded_client_, executor_, account);
  if (!made.ok()) return made.error();
  std::shared_ptr<ai::ChatModel> model = std::move(made).value();
  models_[bot.id] = Entry{fingerprint, model};
  return model;
}

}  // namespace studybot::chat
