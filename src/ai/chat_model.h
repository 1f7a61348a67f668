// ChatModel: what writes the answer of the chat pipeline (chat/answer_service.h). One interface
// for the built-in extractive answerer (ai/extractive_answerer.h), which quotes the best sentences
// of the retrieved sources, and for chat models behind an OpenAI-style API (OpenAI, Azure OpenAI,
// Ollama, llama.cpp, vLLM), which write from the prompt.
//
// A call streams: the model hands the answer to a ChatSink piece by piece as it is written (a
// sentence at a time for the extractive answerer, a token delta for an LLM), then completes once.
// A call may be cancelled at any time (the visitor closed the page): the model stops its work
// (an LLM's HTTP request is aborted at once) and completes with kCancelled.
//
// Thread-safety: a ChatModel is shared by every conversation and Start may be called from any
// thread. The sink of one call is called from one thread at a time, in order: any number of
// OnDelta, then exactly one OnComplete. It may be called from inside Start (the extractive
// answerer finishes before Start returns), from a worker or from an I/O thread, so a sink must not
// block.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "core/result.h"

namespace studybot::ai {

struct ChatTurn {
  std::string role;  // system | user | assistant
  std::string content;
};

// A retrieved passage as the model sees it. Sources are numbered from 1 in the order the prompt
// lists them, and answers cite them by number ("[2]").
struct SourcePassage {
  int number = 0;
  std::string title;
  std::string url;
  std::vector<std::string> heading_path;
  std::string text;
  double score = 0;  // retrieval relevance (KnowledgeSearch), higher is better
};

struct ChatRequest {
  // The whole prompt for an LLM: system prompt and rules, memory, sources, question
  // (chat/prompt.h builds it within the model's context window).
  std::vector<ChatTurn> messages;
  // What the extractive answerer works from instead: the standalone question and the sources, in
  // prompt order (the same passages as in `messages`).
  std::string question;
  std::vector<SourcePassage> sources;
  // "en" or "fr": the visitor's language, for the answerer's own words.
  std::string language = "en";
  // The model to ask, as the provider names it ("" = the ChatModel's default).
  std::string model;
  double temperature = 0.2;
  // Most tokens the answer may take.
  int max_tokens = 512;
};

struct ChatUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  // True when the counts are this process's estimate (ingest/token_count.h), not the provider's.
  bool estimated = true;
};

struct ChatCompletion {
  // The whole answer: the concatenation of every OnDelta.
  std::string text;
  // stop | length | content_filter | ... as the provider says; "stop" for the extractive
  // answerer.
  std::string finish_reason = "stop";
  ChatUsage usage;
  // The model that answered ("extractive", or the provider's model name).
  std::string model;
  // The model found nothing in the sources that answers the question: the extractive answerer
  // passed no sentence, so `text` is empty and the pipeline answers the chatbot's fallback.
  bool no_answer = false;
};

class ChatSink {
 public:
  virtual ~ChatSink() = default;
  // A piece of the answer, in order. Never empty.
  virtual void OnDelta(std::string_view text) = 0;
  // Exactly once, after the last OnDelta. Errors:
  //   kCancelled         the call was cancelled
  //   kUnauthenticated   the provider refused the credentials (a bad key)
  //   kRateLimited       still refused after the retries; retry_after_seconds set
  //   kUnavailable       the provider is down, timed out, answered 5xx, or its circuit is open
  //   kInvalidArgument   the provider refused the request (context too long, unknown model)
  // Messages are for admins: they name the provider and the status, never the key.
  virtual void OnComplete(Result<ChatCompletion> result) = 0;
};

class ChatModel {
 public:
  virtual ~ChatModel() = default;

  // What answers: "extractive", "openai", "azure".
  virtual std::string name() const = 0;

  // Starts writing the answer to `request` into `sink`; returns at once for a remote model. The
  // model keeps `sink` and `cancel` alive until it has called OnComplete.
  virtual void Start(ChatRequest request, std::shared_ptr<ChatSink> sink,
                     std::shared_ptr<studybot::Cancellation> cancel) = 0;
};

}  // namespace studybot::ai
