// ChatModelRegistry: the ChatModel that answers for a chatbot, from its `answers` settings:
// the built-in extractive answerer, or an OpenAiChatModel for an openai or azure provider, with
// the chatbot secret chat_api_key (or the server's OPENAI_API_KEY).
//
// Models are built once per chatbot and kept until its settings or key change. Calls to one
// provider account (the same URL and key) share one rate budget and one circuit breaker, so a
// dead provider fails fast for every chatbot that uses it.
//
// Outbound addresses: the operator's OPENAI_BASE_URL may be a model server on this machine or
// network (Ollama, vLLM), so it goes through `operator_client`; base URLs and endpoints that
// chatbot admins set go through `guarded_client`, which the SSRF guard applies to.
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "ai/chat_model.h"
#include "ai/openai_chat_model.h"
#include "chatbots/repository.h"
#include "core/time.h"
#include "outbound/stream_client.h"

namespace studybot::chat {

struct ChatProviderDefaults {
  std::string openai_api_key;   // OPENAI_API_KEY
  std::string openai_base_url;  // OPENAI_BASE_URL; "" for https://api.openai.com/v1
  // Tuning shared by every provider model (timeouts, retries, breaker); the connection fields
  // are set per chatbot.
  ai::OpenAiChatModelOptions tuning;
};

class ChatModelRegistry {
 public:
  // The chatbot's secret `name`, or nullopt.
  using SecretLookup = std::function<Result<std::optional<std::string>>(
      const std::string& chatbot_id, const std::string& name)>;

  // Every reference must outlive the registry and the calls of the models it made.
  ChatModelRegistry(ai::ChatModel& builtin, SecretLookup secrets,
                    outbound::StreamClient& operator_client, outbound::StreamClient& guarded_client,
                    boost::asio::any_io_executor executor, ChatProviderDefaults defaults)
      : builtin_(builtin),
        secrets_(std::move(secrets)),
        operator_client_(operator_client),
        guarded_client_(guarded_client),
        executor_(std::move(executor)),
        defaults_(std::move(defaults)) {}

  // The model for `bot`. Errors: kInvalidArgument when its settings cannot make one (a start-up
  // style error: the pipeline answers with the built-in answerer, marked degraded); the
  // secret store's errors.
  Result<std::shared_ptr<ai::ChatModel>> For(const chatbots::Chatbot& bot);

  ai::ChatModel& builtin() { return builtin_; }

 private:
  struct Entry {
    std::string fingerprint;
    std::shared_ptr<ai::ChatModel> model;
  };

  ai::ChatModel& builtin_;
  SecretLookup secrets_;
  outbound::StreamClient& operator_client_;
  outbound::StreamClient& guarded_client_;
  boost::asio::any_io_executor executor_;
  const ChatProviderDefaults defaults_;
  RealClock clock_;  // when defaults_.tuning has none

  std::mutex mu_;
  std::map<std::string, Entry> models_;              // by chatbot id. REQUIRES: mu_ held
  std::map<std::string, ai::ChatAccount> accounts_;  // by URL + key digest. REQUIRES: mu_ held
};

}  // namespace studybot::chat
