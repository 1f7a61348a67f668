// The wire format of OpenAI-style chat completions (/work/shared/specs, openai-openapi 2.3.0), as
// read by OpenAiChatModel:
//
//   * OpenAiChatStreamParser reads a streamed answer (`"stream": true`): server-sent events whose
//     `data:` is a chat.completion.chunk, ended by `data: [DONE]`. It takes the body in pieces
//     split anywhere (inside a line, a CRLF, a UTF-8 sequence: nothing is decoded before its
//     line is whole), accepts LF, CRLF and CR line ends, skips comments (":" lines, which some
//     servers send as keep-alives) and fields other than `data`, and joins multi-line data with
//     "\n" as the SSE standard says.
//   * ParseChatCompletionJson reads a whole answer (`"stream": false`).
//   * IsContextLengthError tells a prompt that is too long from other refusals, whatever the
//     server: OpenAI and Azure send code "context_length_exceeded"; vLLM "This model's maximum
//     context length is N tokens..."; llama.cpp server type "exceed_context_size_error" and
//     "...exceeds the available context size..."; Ollama "...exceeds maximum context length" or
//     "prompt too long; exceeded max context length by N tokens".
//
// Only the first choice (index 0) is read: the model never asks for n > 1.
//
// Thread-safety: a parser is used by one thread at a time; the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ai/openai_protocol.h"
#include "core/result.h"

namespace studybot::ai {

struct ChatStreamEvent {
  enum class Type {
    kDelta,         // `text`: a non-empty piece of the answer (delta.content)
    kFinishReason,  // `text`: "stop", "length", "content_filter", ...
    kUsage,         // `prompt_tokens`, `completion_tokens` (the provider's counts)
    kModel,         // `text`: the model that answers; reported once, from the first chunk
    kError,         // `error`: an error object sent in place of a chunk (OpenAI, vLLM)
  };
  Type type = Type::kDelta;
  std::string text;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  OpenAiApiError error;
};

class OpenAiChatStreamParser {
 public:
  // A line (or an event's joined data) longer than `max_line_bytes` is an error: the stream is
  // buffered only up to there, whatever a server sends.
  explicit OpenAiChatStreamParser(std::size_t max_line_bytes = std::size_t{1} << 20);

  // Reads the next piece of the body and appends the events it completes to `out`, in order.
  // Errors (kUnavailable; the parser then refuses every further call with the same error): a
  // line too long, an event whose data is neither JSON object nor [DONE], a chunk that breaks
  // the schema (choices not an array, content not a string). Data after [DONE] is ignored.
  Status Feed(std::string_view bytes, std::vector<ChatStreamEvent>& out);

  // The body ended: dispatches an event left without its blank line, then fails (kUnavailable,
  // "the stream ended before [DONE]") if [DONE] never came. Errors as Feed.
  Status Finish(std::vector<ChatStreamEvent>& out);

  // [DONE] was read.
  bool done() const { return done_; }

 private:
  Status Fail(Error error);
  Status Line(std::string_view line, std::vector<ChatStreamEvent>& out);
  Status Dispatch(std::vector<ChatStreamEvent>& out);

  const std::size_t max_line_bytes_;
  std::string line_;         // the line read so far, without its end
  std::string data_;         // the current event's data lines, joined by "\n"
  bool has_data_ = false;    // a data field was read for the current event
  bool after_cr_ = false;    // the last byte read was a CR (an LF right after it is skipped)
  bool done_ = false;        // [DONE] read
  bool model_seen_ = false;  // kModel reported
  std::string failed_;       // the error's message, once there is one
};

// Reads one chunk's JSON (`data` of an event) into events, as the parser does. Errors:
// kUnavailable when it is not a chunk or an error object. `report_model`: add a kModel event for
// the chunk's model.
Status ParseChatChunk(std::string_view data, bool report_model, std::vector<ChatStreamEvent>& out);

// A whole chat.completion (the answer with `"stream": false`): the first choice's
// message.content as one kDelta (none when empty or null), its finish_reason, the usage and the
// model. Errors: kUnavailable when the body is not a chat.completion.
Result<std::vector<ChatStreamEvent>> ParseChatCompletionJson(std::string_view body);

// Whether a refusal (a 4xx answer, or an error event) says the prompt does not fit the model's
// context window. See the top comment for what each server says.
bool IsContextLengthError(const OpenAiApiError& error);

}  // namespace studybot::ai
