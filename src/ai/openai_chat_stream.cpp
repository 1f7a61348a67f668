#include "ai/openai_chat_stream.h"

#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/strings.h"

namespace studybot::ai {
namespace {

namespace json = boost::json;

Error Malformed(const std::string& why) {
  return Error::Unavailable("the provider broke the chat protocol: " + why);
}

int64_t Count(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return 0;
}

// usage, finish_reason and model: what a chunk and a whole completion share.
void ReadUsage(const json::object& o, std::vector<ChatStreamEvent>& out) {
  const json::value* usage = o.if_contains("usage");
  if (usage == nullptr || !usage->is_object()) return;
  ChatStreamEvent e;
  e.type = ChatStreamEvent::Type::kUsage;
  e.prompt_tokens = Count(usage->get_object(), "prompt_tokens");
  e.completion_tokens = Count(usage->get_object(), "completion_tokens");
  out.push_back(std::move(e));
}

void ReadFinishReason(const json::object& choice, std::vector<ChatStreamEvent>& out) {
  const json::value* reason = choice.if_contains("finish_reason");
  if (reason == nullptr || !reason->is_string() || reason->get_string().empty()) return;
  out.push_back(
      {ChatStreamEvent::Type::kFinishReason, std::string(reason->get_string()), 0, 0, {}});
}

void ReadModel(const json::object& o, std::vector<ChatStreamEvent>& out) {
  const json::value* model = o.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) return;
  out.push_back({ChatStreamEvent::Type::kModel, std::string(model->get_string()), 0, 0, {}});
}

// The choice with index 0 (or without an index), or null.
const json::object* FirstChoice(const json::array& choices) {
  for (const json::value& c : choices) {
    const json::object* o = c.if_object();
    if (o == nullptr) continue;
    const json::value* index = o->if_contains("index");
    if (index == nullptr || (index->is_int64() && index->get_int64() == 0) ||
        (index->is_uint64() && index->get_uint64() == 0)) {
      return o;
    }
  }
  return nullptr;
}

// Appends `content` (a string, null or absent) as a delta. False when it is something else.
bool ReadContent(const json::object& holder, std::vector<ChatStreamEvent>& out) {
  const json::value* content = holder.if_contains("content");
  if (content == nullptr || content->is_null()) return true;
  if (!content->is_string()) return false;
  if (!content->get_string().empty()) {
    out.push_back({ChatStreamEvent::Type::kDelta, std::string(content->get_string()), 0, 0, {}});
  }
  return true;
}

// An error object in place of a chunk: {"error": {...}} (OpenAI, vLLM's streaming errors) or
// vLLM's flat {"object": "error", "message", ...}.
bool IsErrorObject(const json::object& o) {
  if (o.contains("error")) return true;
  const json::value* object = o.if_contains("object");
  return object != nullptr && object->is_string() && object->get_string() == "error";
}

}  // namespace

Status ParseChatChunk(std::string_view data, bool report_model, std::vector<ChatStreamEvent>& out) {
  boost::system::error_code ec;
  json::value doc = json::parse(data, ec);
  if (ec || !doc.is_object()) return Malformed("an event is not a JSON object");
  const json::object& o = doc.get_object();
  if (IsErrorObject(o)) {
    ChatStreamEvent e;
    e.type = ChatStreamEvent::Type::kError;
    e.error = ParseOpenAiApiError(data);
    if (e.error.message.empty() && e.error.code.empty()) e.error.message = "unspecified error";
    out.push_back(std::move(e));
    return OkStatus();
  }
  if (report_model) ReadModel(o, out);
  if (const json::value* choices = o.if_contains("choices")) {
    if (!choices->is_array()) return Malformed("\"choices\" is not an array");
    if (const json::object* choice = FirstChoice(choices->get_array())) {
      const json::value* delta = choice->if_contains("delta");
      if (delta != nullptr && delta->is_object() && !ReadContent(delta->get_object(), out)) {
        return Malformed("a delta's content is not a string");
      }
      ReadFinishReason(*choice, out);
    }
  }
  ReadUsage(o, out);
  return OkStatus();
}

Result<std::vector<ChatStreamEvent>> ParseChatCompletionJson(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return Malformed("the answer is not a JSON object");
  const json::object& o = doc.get_object();
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) {
    return Malformed("the answer has no \"choices\" array");
  }
  const json::object* choice = FirstChoice(choices->get_array());
  if (choice == nullptr) return Malformed("the answer has no choice");
  const json::value* message = choice->if_contains("message");
  if (message == nullptr || !message->is_object()) return Malformed("the choice has no message");
  std::vector<ChatStreamEvent> out;
  ReadModel(o, out);
  if (!ReadContent(message->get_object(), out)) {
    return Malformed("the message's content is not a string");
  }
  ReadFinishReason(*choice, out);
  ReadUsage(o, out);
  return out;
}

bool IsContextLengthError(const OpenAiApiError& error) {
  if (error.code == "context_length_exceeded" || error.type == "exceed_context_size_error") {
    return true;
  }
  const std::string m = ToLower(error.message);
  return m.find("maximum context length") != std::string::npos ||
         m.find("max context length") != std::string::npos ||
         m.find("context length exceeded") != std::string::npos ||
         m.find("available context size") != std::string::npos;
}

OpenAiChatStreamParser::OpenAiChatStreamParser(std::size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes) {}

Status OpenAiChatStreamParser::Fail(Error error) {
  failed_ = std::move(error.message);
  return Error::Unavailable(failed_);
}

Status OpenAiChatStreamParser::Feed(std::string_view bytes, std::vector<ChatStreamEvent>& out) {
  if (!failed_.empty()) return Error::Unavailable(failed_);
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\n' && c != '\r') {
      after_cr_ = false;
      continue;
    }
    // An LF right after a CR ends nothing: the CR ended the line (CRLF, maybe split in two).
    const bool skip = c == '\n' && after_cr_ && i == start && line_.empty();
    after_cr_ = c == '\r';
    if (skip) {
      start = i + 1;
      continue;
    }
    if (line_.size() + (i - start) > max_line_bytes_) return Fail(Malformed("a line is too long"));
    line_.append(bytes.substr(start, i - start));
    start = i + 1;
    std::string line = std::move(line_);
    line_.clear();
    if (auto s = Line(line, out); !s.ok()) return s;
  }
  const std::size_t rest = bytes.size() - start;
  if (line_.size() + rest > max_line_bytes_) return Fail(Malformed("a line is too long"));
  line_.append(bytes.substr(start));
  return OkStatus();
}

Status OpenAiChatStreamParser::Line(std::string_view line, std::vector<ChatStreamEvent>& out) {
  if (line.empty()) return Dispatch(out);
  if (line.front() == ':') return OkStatus();  // a comment (keep-alive)
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  if (field != "data") return OkStatus();  // event, id, retry: nothing OpenAI relies on
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  if (data_.size() + value.size() > max_line_bytes_) return Fail(Malformed("an event is too long"));
  data_.append(value);
  has_data_ = true;
  return OkStatus();
}

Status OpenAiChatStreamParser::Dispatch(std::vector<ChatStreamEvent>& out) {
  if (!has_data_) return OkStatus();
  std::string data = std::move(data_);
  data_.clear();
  has_data_ = false;
  if (done_) return OkStatus();
  if (Trim(data) == "[DONE]") {
    done_ = true;
    return OkStatus();
  }
  const std::size_t before = out.size();
  if (auto s = ParseChatChunk(data, !model_seen_, out); !s.ok()) {
    return Fail(std::move(s).error());
  }
  for (std::size_t i = before; i < out.size(); ++i) {
    if (out[i].type == ChatStreamEvent::Type::kModel) model_seen_ = true;
  }
  return OkStatus();
}

Status OpenAiChatStreamParser::Finish(std::vector<ChatStreamEvent>& out) {
  if (!failed_.empty()) return Error::Unavailable(failed_);
  if (!line_.empty()) {
    std::string line = std::move(line_);
    line_.clear();
    if (auto s = Line(line, out); !s.ok()) return s;
  }
  if (auto s = Dispatch(out); !s.ok()) return s;
  if (!done_) return Fail(Malformed("the stream ended before [DONE]"));
  return OkStatus();
}

}  // namespace studybot::ai
