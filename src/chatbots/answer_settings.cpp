#include "chatbots/answer_settings.h"

namespace studybot::chatbots {
namespace {

namespace json = boost::json;

void Merge(AnswerSettings& s, const json::object& o) {
  if (const auto* v = o.if_contains("fallback_message"); v != nullptr && v->is_string()) {
    s.fallback_message = v->as_string();
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
}

}  // namespace

Result<AnswerSettings> ApplyAnswerPatch(const AnswerSettings& base, const json::object& patch) {
  AnswerSettings s = base;
  Merge(s, patch);
  // The JSON Schema bounds each field; nothing here depends on two fields together yet.
  return s;
}

json::object AnswerJson(const AnswerSettings& s) {
  return {{"fallback_message", s.fallback_message},
          {"memory_turns", s.memory_turns},
          {"max_answer_tokens", s.max_answer_tokens},
          {"daily_message_cap", s.daily_message_cap},
          {"daily_token_budget", s.daily_token_budget}};
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
