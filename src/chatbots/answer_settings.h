// AnswerSettings: how a chatbot answers (issue 10). Part of the chatbot resource (`answers` in its
// JSON, with the seed's `system_prompt` beside it), stored as JSON on the chatbot row. Requests
// send any subset of the fields; the rest keep their current (or default) values.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "core/result.h"

namespace studybot::chatbots {

struct AnswerSettings {
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

// `patch` (a request's `answers` object, already checked against the JSON Schema) over `base`.
Result<AnswerSettings> ApplyAnswerPatch(const AnswerSettings& base,
                                        const boost::json::object& patch);
// The stored (and shown) form, every field present.
boost::json::object AnswerJson(const AnswerSettings& s);
// Reads the stored form; missing or malformed fields take their defaults.
AnswerSettings AnswerFromJson(const boost::json::object& o);

// The fallback message when the chatbot has none of its own: "en" or "fr".
std::string DefaultFallback(const std::string& language);

}  // namespace studybot::chatbots
