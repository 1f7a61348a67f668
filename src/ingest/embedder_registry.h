// EmbedderRegistry: the embedder behind an embedder id of a chatbot. Ids come from the chatbot
// row (its active and target embedders, see embedder_store.h):
//   hashing-v1/<dims>            built in, made on demand
//   lsa-v1/<dims>/<fingerprint>  learned from the chatbot's chunks, loaded from the database
//   openai/<model>/<dims>, azure/<deployment>/<dims>
//                                a provider's, built from the settings that made the id, with the
//                                chatbot secret embedder_api_key (or the server's OPENAI_API_KEY)
// Embedders are kept once built; Forget retires a chatbot's provider embedders (new key or
// settings): they are not used for an id its settings make again (that one is rebuilt), only
// for an id they no longer make, i.e. the embedder the chatbot switched away from, which an index
// still holding its vectors needs for queries until it has followed the switch. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ai/embedder.h"
#include "chatbots/knowledge_settings.h"
#include "ingest/embedder_store.h"
#include "outbound/http_client.h"

namespace studybot::ingest {

struct ProviderDefaults {
  std::string openai_api_key;   // OPENAI_API_KEY
  std::string openai_base_url;  // OPENAI_BASE_URL; "" for https://api.openai.com/v1
};

class EmbedderRegistry {
 public:
  // The chatbot's secret `name`, or nullopt.
  using SecretLookup = std::function<Result<std::optional<std::string>>(
      const std::string& chatbot_id, const std::string& name)>;

  // `operator_http` calls the operator's OPENAI_BASE_URL (any address: the operator chose it);
  // `guarded_http` calls base URLs and endpoints that chatbot admins set (the SSRF guard applies).
  EmbedderRegistry(EmbedderStore& store, SecretLookup secrets, outbound::HttpClient& operator_http,
                   outbound::HttpClient& guarded_http, ProviderDefaults defaults)
      : store_(store),
        secrets_(std::move(secrets)),
        operator_http_(operator_http),
        guarded_http_(guarded_http),
        defaults_(std::move(defaults)) {}

  // The embedder `id` of the chatbot (`settings` made it, for a provider's); nullptr for "".
  // kUnavailable when a learned model is missing from the database.
  Result<std::shared_ptr<ai::Embedder>> Get(const std::string& chatbot_id, const std::string& id,
                                            const chatbots::EmbedderSettings& settings);
  // A built-in hashing or provider embedder for `settings` (not a learned one: those are
  // trained, see ReindexJob). kInvalidArgument for unusable settings.
  Result<std::shared_ptr<ai::Embedder>> Build(const std::string& chatbot_id,
                                              const chatbots::EmbedderSettings& settings);
  // A model just trained, so that it is not loaded back from the database.
  void Remember(std::shared_ptr<ai::Embedder> learned);
  void Forget(const std::string& chatbot_id);

 private:
  Result<std::shared_ptr<ai::Embedder>> Load(const std::string& id);

  EmbedderStore& store_;
  SecretLookup secrets_;
  outbound::HttpClient& operator_http_;
  outbound::HttpClient& guarded_http_;
  const ProviderDefaults defaults_;

  std::mutex mu_;
  // Learned and hashing embedders by id; provider embedders by chatbot then id. REQUIRES: mu_
  std::map<std::string, std::shared_ptr<ai::Embedder>> shared_;
  std::map<std::string, std::map<std::string, std::shared_ptr<ai::Embedder>>> providers_;
  // Provider embedders Forget retired, by chatbot then id (see the top). REQUIRES: mu_
  std::map<std::string, std::map<std::string, std::shared_ptr<ai::Embedder>>> retired_;
};

}  // namespace studybot::ingest
