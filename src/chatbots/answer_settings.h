// AnswerSettings: how a chatbot answers (issue 10). Part of the chatbot resource (`answers` in its
// JSON, with the seed's `system_prompt` beside it), stored as JSON on the chatbot row. Requests
// send any subset of the fields; the rest keep their current (or default) values.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "core/result.h"

namespace studybot::chatbots {

inline constexpr const char* kChatSecret = "chat_api_key";
inline constexpr const char* kBuiltinModel = "builtin-extractive";

struct AnswerSettings {
  // builtin: the extractive answerer (no model). openai: an OpenAI-compatible chat completions
  // API (OpenAI, Ollama, llama.cpp, vLLM). azure: an Azure OpenAI deployment. The model's name
  // is the chatbot's `model`; the key is the chatbot secret `chat_api_key` (or OPENAI_API_KEY).
  std::string provider = "builtin";
  std::string base_url;      // openai: "" = OPENAI_BASE_URL or https://api.openai.com/v1
  std::string endpoint;      // azure: https://<resource>.openai.azure.com
  std::string deployment;    // azure
  std::string api_version;   // azure ("" = 2024-10-21)
  double temperature = 0.2;  // 0..2
  // The model's context window in tokens; 0 = known for common models, else 8192.
  int context_window = 0;
  // Said when the chatbot's content does not answer the question; "" = the built-in sentence in
  // the visitor's language (DefaultFallback).
  std::string fallback_message;
  // Earlier exchanges (a question and its answer each) the prompt recalls, 0..20.
  int memory_turns = 6;
  // Most tokens an answer may take, 16..4096.
  int max_answer_tokens = 512;
  // Cost control, per UTC day: answered messages and (prompt + completion) tokens; 0 = no cap.
  // Past either, the widget gets 429 until the next day; fallback answers count toward neither.
  int64_t daily_message_cap = 0;
  int64_t daily_token_budget = 0;
};

// `patch` (a request's `answers` object, already checked against the JSON Schema) over `base`,
// with the chatbot's `model` (patched by answers.model). kInvalidArgument with field details for
// values that do not go together (an Azure provider without its endpoint...).
Result<AnswerSettings> ApplyAnswerPatch(const AnswerSettings& base,
                                        const boost::json::object& patch, std::string& model);
// The stored (and shown) form, every field present; `model` is shown beside them.
boost::json::object AnswerJson(const AnswerSettings& s, const std::string& model = "");
// Reads the stored form; missing or malformed fields take their defaults.
AnswerSettings AnswerFromJson(const boost::json::object& o);

// The fallback message when the chatbot has none of its own: "en" or "fr".
std::string DefaultFallback(const std::string& language);

}  // namespace studybot::chatbots
