#include "chatbots/answer_settings.h"

#include "ai/openai_protocol.h"

namespace studybot::chatbots {
namespace {

namespace json = boost::json;

void Merge(AnswerSettings& s, const json::object& o) {
  auto read_string = [&](const char* key, std::string& out) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) out = v->as_string();
  };
  read_string("fallback_message", s.fallback_message);
  std::string provider = s.provider;
  read_string("provider", provider);
  if (provider != s.provider) {
    // Another provider: its own connection settings, none carried over.
    s.base_url.clear();
    s.endpoint.clear();
    s.deployment.clear();
    s.api_version.clear();
    s.provider = provider;
  }
  read_string("base_url", s.base_url);
  read_string("endpoint", s.endpoint);
  read_string("deployment", s.deployment);
  read_string("api_version", s.api_version);
  if (const auto* v = o.if_contains("temperature"); v != nullptr && v->is_number()) {
    s.temperature = v->to_number<double>();
  }
  auto read_int = [&](const char* key, auto& out) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_int64()) {
      out = static_cast<std::remove_reference_t<decltype(out)>>(v->as_int64());
    }
  };
  read_int("memory_turns", s.memory_turns);
  read_int("max_answer_tokens", s.max_answer_tokens);
  read_int("daily_message_cap", s.daily_message_cap);
  read_int("daily_token_budget", s.daily_token_budget);
  read_int("context_window", s.context_window);
}

}  // namespace

Result<AnswerSettings> ApplyAnswerPatch(const AnswerSettings& base, const json::object& patch,
                                        std::string& model) {
  AnswerSettings s = base;
  std::string before = s.provider;
  Merge(s, patch);
  if (const auto* v = patch.if_contains("model"); v != nullptr && v->is_string()) {
    model = v->as_string();
  } else if (s.provider != before) {
    model = s.provider == "builtin" ? kBuiltinModel : s.provider == "openai" ? "gpt-4o-mini" : "";
  }
  std::vector<FieldError> bad;
  if (s.provider == "builtin") {
    model = kBuiltinModel;
  } else if (s.provider == "openai") {
    if (model.empty() || model == kBuiltinModel) {
      bad.push_back({"/answers/model", "an openai provider needs the model to ask"});
    }
    if (!s.base_url.empty()) {
      auto url = ai::CheckBaseUrl(s.base_url, "answers.base_url");
      if (!url.ok()) {
        bad.push_back({"/answers/base_url", url.error().message});
      } else {
        s.base_url = *url;
      }
    }
  } else if (s.provider == "azure") {
    auto url = ai::CheckBaseUrl(s.endpoint, "answers.endpoint");
    if (!url.ok()) {
      bad.push_back(
          {"/answers/endpoint", "an Azure provider needs its endpoint: " + url.error().message});
    } else {
      s.endpoint = *url;
    }
    if (s.deployment.empty()) {
      bad.push_back({"/answers/deployment", "an Azure provider needs its deployment"});
    }
    if (model == kBuiltinModel) model = s.deployment;
  } else {
    bad.push_back({"/answers/provider", "must be builtin, openai or azure"});
  }
  if (!bad.empty()) return Error::InvalidArgument("invalid answer settings", std::move(bad));
  return s;
}

json::object AnswerJson(const AnswerSettings& s, const std::string& model) {
  json::object o{{"provider", s.provider},
                 {"model", model},
                 {"temperature", s.temperature},
                 {"context_window", s.context_window},
                 {"fallback_message", s.fallback_message},
                 {"memory_turns", s.memory_turns},
                 {"max_answer_tokens", s.max_answer_tokens},
                 {"daily_message_cap", s.daily_message_cap},
                 {"daily_token_budget", s.daily_token_budget}};
  if (s.provider == "openai") o["base_url"] = s.base_url;
  if (s.provider == "azure") {
    o["endpoint"] = s.endpoint;
    o["deployment"] = s.deployment;
    o["api_version"] = s.api_version;
  }
  return o;
}

AnswerSettings AnswerFromJson(const json::object& o) {
  AnswerSettings s;
  Merge(s, o);
  return s;
}

std::string DefaultFallback(const std::string& language) {
  if (language == "fr") {
    return "Je ne trouve pas la réponse à cette question dans le contenu de ce site. Pouvez-vous "
           "la reformuler, ou poser une autre question ?";
  }
  return "I could not find the answer to that in this site's content. Could you rephrase it, or "
         "ask something else?";
}

}  // namespace studybot::chatbots
