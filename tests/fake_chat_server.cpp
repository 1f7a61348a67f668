#include "fake_chat_server.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include <boost/beast/http/status.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fake_openai_wire.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxOutputTokens = 16'384;

// The fields of CreateChatCompletionRequest (and the properties it inherits).
constexpr std::string_view kKnownFields[] = {"messages",
                                             "model",
                                             "temperature",
                                             "top_p",
                                             "n",
                                             "stream",
                                             "stream_options",
                                             "stop",
                                             "max_tokens",
                                             "max_completion_tokens",
                                             "presence_penalty",
                                             "frequency_penalty",
                                             "logit_bias",
                                             "logprobs",
                                             "top_logprobs",
                                             "user",
                                             "seed",
                                             "tools",
                                             "tool_choice",
                                             "parallel_tool_calls",
                                             "response_format",
                                             "service_tier",
                                             "store",
                                             "metadata",
                                             "reasoning_effort",
                                             "modalities",
                                             "audio",
                                             "prediction",
                                             "web_search_options",
                                             "safety_identifier",
                                             "prompt_cache_key",
                                             "verbosity",
                                             "function_call",
                                             "functions",
                                             "prompt_cache_options",
                                             "moderation"};

constexpr std::string_view kRoles[] = {"system", "developer", "user", "assistant", "tool"};

std::string TypeName(const json::value& v) {
  if (v.is_string()) return "a string";
  if (v.is_bool()) return "a boolean";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return v.is_double() ? "a decimal" : "an integer";
}

Reply InvalidType(const std::string& param, const std::string& expected, const json::value& v) {
  return OpenAiError(400,
                     "Invalid type for '" + param + "': expected " + expected + ", but got " +
                         TypeName(v) + " instead.",
                     "invalid_request_error", param, "invalid_type");
}

Reply Missing(const std::string& param) {
  return OpenAiError(400, "Missing required parameter: '" + param + "'.", "invalid_request_error",
                     param, "missing_required_parameter");
}

// A message's content: a string, or an array of text parts (joined), or (assistant only) null.
std::optional<Reply> ReadContent(const json::value& v, const std::string& param, bool nullable,
                                 std::string& out) {
  if (v.is_string()) {
    out = std::string(v.get_string());
    return std::nullopt;
  }
  if (v.is_null() && nullable) return std::nullopt;
  if (!v.is_array()) return InvalidType(param, "one of an array or a string", v);
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const json::object* part = v.get_array()[i].if_object();
    const std::string p = param + "[" + std::to_string(i) + "]";
    const json::value* text = part != nullptr ? part->if_contains("text") : nullptr;
    if (text == nullptr || !text->is_string()) return Missing(p + ".text");
    out += std::string(text->get_string());
  }
  return std::nullopt;
}

std::optional<Reply> ReadMessages(const json::object& body, FakeChatRequest& r) {
  const json::value* m = body.if_contains("messages");
  if (m == nullptr) return Missing("messages");
  if (!m->is_array()) return InvalidType("messages", "an array", *m);
  if (m->get_array().empty()) {
    return OpenAiError(400,
                       "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                       "but got an empty array instead.",
                       "invalid_request_error", "messages", "empty_array");
  }
  for (std::size_t i = 0; i < m->get_array().size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    const json::value& item = m->get_array()[i];
    if (!item.is_object()) return InvalidType(p, "an object", item);
    const json::value* role = item.get_object().if_contains("role");
    if (role == nullptr) return Missing(p + ".role");
    if (!role->is_string() ||
        std::find(std::begin(kRoles), std::end(kRoles), role->get_string()) == std::end(kRoles)) {
      return OpenAiError(
          400,
          "Invalid value: '" +
              (role->is_string() ? std::string(role->get_string()) : json::serialize(*role)) +
              "'. Supported values are: 'system', 'assistant', 'user', "
              "'function', 'tool', and 'developer'.",
          "invalid_request_error", p + ".role", "invalid_value");
    }
    FakeChatMessage msg{std::string(role->get_string()), ""};
    const json::value* content = item.get_object().if_contains("content");
    if (content == nullptr) {
      if (msg.role != "assistant") return Missing(p + ".content");
    } else if (auto bad =
                   ReadContent(*content, p + ".content", msg.role == "assistant", msg.content)) {
      return bad;
    }
    r.messages.push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<Reply> ReadOptions(const json::object& body, FakeChatRequest& r) {
  if (const json::value* t = body.if_contains("temperature"); t != nullptr && !t->is_null()) {
    if (!t->is_number()) return InvalidType("temperature", "a decimal", *t);
    const double v = t->to_number<double>();
    if (v < 0 || v > 2) {
      const bool above = v > 2;
      return OpenAiError(400,
                         std::string("Invalid 'temperature': decimal ") +
                             (above ? "above maximum" : "below minimum") +
                             " value. Expected a value " + (above ? "<= 2" : ">= 0") +
                             ", but got " + json::serialize(*t) + " instead.",
                         "invalid_request_error", "temperature",
                         above ? "decimal_above_max_value" : "decimal_below_min_value");
    }
    r.temperature = v;
  }
  for (const char* field : {"max_tokens", "max_completion_tokens"}) {
    const json::value* t = body.if_contains(field);
    if (t == nullptr || t->is_null()) continue;
    if (!t->is_int64() && !t->is_uint64()) return InvalidType(field, "an integer", *t);
    const int64_t v = t->is_int64() ? t->get_int64() : static_cast<int64_t>(t->get_uint64());
    if (v < 1) {
      return OpenAiError(400,
                         std::string("Invalid '") + field +
                             "': integer below minimum value. Expected a value >= 1, but got " +
                             std::to_string(v) + " instead.",
                         "invalid_request_error", field, "integer_below_min_value");
    }
    if (v > kMaxOutputTokens) {
      return OpenAiError(400,
                         std::string(field) + " is too large: " + std::to_string(v) +
                             ". This model supports at most 16384 completion tokens, whereas you "
                             "provided " +
                             std::to_string(v) + ".",
                         "invalid_request_error", field, "invalid_value");
    }
    r.max_tokens = v;
    r.max_tokens_field = field;
  }
  if (const json::value* s = body.if_contains("stream"); s != nullptr && !s->is_null()) {
    if (!s->is_bool()) return InvalidType("stream", "a boolean", *s);
    r.stream = s->get_bool();
  }
  if (const json::value* so = body.if_contains("stream_options"); so != nullptr && !so->is_null()) {
    if (!r.stream) {
      return OpenAiError(400,
                         "The 'stream_options' parameter is only allowed when 'stream' is "
                         "enabled.",
                         "invalid_request_error", "stream_options", "");
    }
    if (!so->is_object()) return InvalidType("stream_options", "an object", *so);
    if (const json::value* u = so->get_object().if_contains("include_usage")) {
      if (!u->is_bool()) return InvalidType("stream_options.include_usage", "a boolean", *u);
      r.include_usage = u->get_bool();
    }
  }
  return std::nullopt;
}

const char* Reason(unsigned status) {
  return boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status))
      .data();
}

// A whole answer (JSON or an error) as a plan: the head, then the body in one piece.
StreamPlan WholeReply(const Reply& reply) {
  StreamPlan plan;
  plan.head = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) + "\r\n";
  bool typed = false;
  for (const auto& [k, v] : reply.headers) {
    plan.head += k + ": " + v + "\r\n";
    typed = typed || k == "Content-Type";
  }
  if (!typed) plan.head += "Content-Type: application/json\r\n";
  plan.head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  plan.pieces = {reply.body};
  plan.chunked = false;
  return plan;
}

std::string Event(const json::value& chunk) {
  return "data: " + json::serialize(chunk) + "\n\n";
}

}  // namespace

std::string FakeChatRequest::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

FakeChatServer::FakeChatServer(FakeChatOptions options)
    : options_(std::move(options)),
      server_([this](const StreamExchange& e) { return Handle(e); }) {}

void FakeChatServer::Push(FakeChatFault fault, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i)
    faults_.push_back(fault);
}

void FakeChatServer::RateLimitNext(int n, std::string retry_after, std::string retry_after_ms) {
  FakeChatFault f;
  f.status = 429;
  f.retry_after = std::move(retry_after);
  f.retry_after_ms = std::move(retry_after_ms);
  Push(f, n);
}

void FakeChatServer::FailNext(int n, unsigned status) {
  FakeChatFault f;
  f.status = status;
  Push(f, n);
}

void FakeChatServer::HangNext(int n) {
  FakeChatFault f;
  f.no_head = true;
  Push(f, n);
}

void FakeChatServer::CutNext(int n, int after_deltas) {
  FakeChatFault f;
  f.cut_after = after_deltas;
  Push(f, n);
}

void FakeChatServer::ErrorEventNext(int n, int after_deltas) {
  FakeChatFault f;
  f.error_after = after_deltas;
  Push(f, n);
}

void FakeChatServer::ContextLengthNext(int n) {
  FakeChatFault f;
  f.context_length = true;
  Push(f, n);
}

std::vector<FakeChatRequest> FakeChatServer::Requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

bool FakeChatServer::WaitForClosedByClient(std::size_t n, std::chrono::milliseconds limit) {
  return WaitFor([&] { return closed_by_client() >= n; }, limit);
}

std::vector<FakeChatRequest> FakeChatServer::WaitForRequests(std::size_t n,
                                                             std::chrono::milliseconds limit) {
  WaitFor([&] { return Requests().size() >= n; }, limit);
  return Requests();
}

std::string FakeChatServer::DefaultAnswer(const FakeChatRequest& request) {
  std::string question;
  for (const FakeChatMessage& m : request.messages) {
    if (m.role == "user") question = m.content;
  }
  return "Answer to \"" + question + "\" from " + request.model + ".";
}

std::vector<std::string> FakeChatServer::Deltas(std::string_view text, std::size_t chars) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    // A code point starts at every byte that is not a UTF-8 continuation byte.
    const bool boundary = i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (!boundary) continue;
    if (count == chars || (i == text.size() && i > start)) {
      out.emplace_back(text.substr(start, i - start));
      start = i;
      count = 0;
    }
    ++count;
  }
  return out;
}

int64_t FakeChatServer::PromptTokens(const std::vector<FakeChatMessage>& messages) {
  int64_t total = 3;
  for (const FakeChatMessage& m : messages)
    total += 4 + static_cast<int64_t>((m.content.size() + 3) / 4);
  return total;
}

StreamPlan FakeChatServer::Handle(const StreamExchange& exchange) {
  FakeChatRequest request;
  request.method = exchange.method;
  request.target = exchange.target;
  request.headers = exchange.headers;
  request.body = exchange.body;
  request.received = std::chrono::steady_clock::now();
  StreamPlan plan = Answer(request);
  std::lock_guard lock(mu_);
  requests_.push_back(std::move(request));
  return plan;
}

StreamPlan FakeChatServer::Answer(FakeChatRequest& request) {
  auto refuse = [&](const Reply& reply) {
    request.status = reply.status;
    return WholeReply(reply);
  };
  const auto q = request.target.find('?');
  const std::string path = request.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : request.target.substr(q + 1);
  constexpr std::string_view kPrefix = "/openai/deployments/";
  constexpr std::string_view kSuffix = "/chat/completions";
  std::string deployment;
  if (path.starts_with(kPrefix) && path.ends_with(kSuffix) &&
      path.size() > kPrefix.size() + kSuffix.size()) {
    deployment = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
    request.azure = deployment.find('/') == std::string::npos;
  }
  if ((path != "/v1/chat/completions" && !request.azure) || request.method != "POST") {
    return refuse(OpenAiError(404, "Invalid URL (" + request.method + " " + path + ")"));
  }
  ReceivedRequest received{request.method, request.target, request.headers, request.body};
  if (auto refused = CheckKey(received, request.azure, options_.api_key)) return refuse(*refused);
  if (request.azure) {
    if (QueryParam(query, "api-version").empty()) {
      return refuse(AzureError(404, "404", "Resource not found"));
    }
    auto d = options_.azure_deployments.find(deployment);
    if (d == options_.azure_deployments.end()) {
      return refuse(AzureError(404, "DeploymentNotFound",
                               "The API deployment for this resource does not exist. If you "
                               "created the deployment within the last 5 minutes, please wait a "
                               "moment and try again."));
    }
    request.model = d->second;
  }

  FakeChatFault fault;
  {
    std::lock_guard lock(mu_);
    if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
  }
  if (fault.no_head) {
    StreamPlan hang;
    hang.head.clear();  // nothing, until the client leaves
    return hang;
  }
  if (fault.status != 0) {
    return refuse(FaultReply(fault.status, fault.retry_after, fault.retry_after_ms, request.azure,
                             request.model, "ChatCompletions_Create"));
  }

  boost::system::error_code ec;
  json::value doc = json::parse(request.body, ec);
  if (ec || !doc.is_object()) return refuse(InvalidJsonReply());
  const json::object& body = doc.get_object();
  for (const auto& field : body) {
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), field.key()) ==
        std::end(kKnownFields)) {
      return refuse(
          OpenAiError(400, "Unrecognized request argument supplied: " + std::string(field.key())));
    }
  }
  if (!request.azure) {
    const json::value* m = body.if_contains("model");
    if (m == nullptr) return refuse(OpenAiError(400, "you must provide a model parameter"));
    if (!m->is_string()) return refuse(InvalidType("model", "a string", *m));
    request.model = std::string(m->get_string());
    if (std::find(options_.models.begin(), options_.models.end(), request.model) ==
        options_.models.end()) {
      return refuse(OpenAiError(
          404, "The model `" + request.model + "` does not exist or you do not have access to it.",
          "invalid_request_error", "", "model_not_found"));
    }
  }
  if (auto bad = ReadMessages(body, request)) return refuse(*bad);
  if (auto bad = ReadOptions(body, request)) return refuse(*bad);

  const int64_t prompt = PromptTokens(request.messages);
  const int64_t total = prompt + request.max_tokens.value_or(0);
  if (fault.context_length || total > options_.context_window) {
    return refuse(OpenAiError(
        400,
        "This model's maximum context length is " + std::to_string(options_.context_window) +
            " tokens. However, your messages resulted in " + std::to_string(total) +
            " tokens. Please reduce the length of the messages.",
        "invalid_request_error", "messages", "context_length_exceeded"));
  }

  std::vector<std::string> deltas = Deltas(
      options_.answer ? options_.answer(request) : DefaultAnswer(request), options_.delta_chars);
  std::string finish = "stop";
  if (request.max_tokens && static_cast<int64_t>(deltas.size()) > *request.max_tokens) {
    deltas.resize(*request.max_tokens);
    finish = "length";
  }
  request.status = 200;
  if (request.stream) return Stream(request, deltas, finish, fault);

  std::string text;
  for (const std::string& d : deltas)
    text += d;
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
  }
  const auto n = static_cast<int64_t>(deltas.size());
  json::object answer{
      {"id", "chatcmpl-fake" + std::to_string(id)},
      {"object", "chat.completion"},
      {"created", static_cast<int64_t>(std::time(nullptr))},
      {"model", request.model},
      {"choices", json::array{json::object{
                      {"index", 0},
                      {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
                      {"logprobs", nullptr},
                      {"finish_reason", finish}}}},
      {"usage",
       {{"prompt_tokens", prompt}, {"completion_tokens", n}, {"total_tokens", prompt + n}}},
      {"system_fingerprint", "fp_fake"}};
  return WholeReply(JsonReply(200, answer));
}

StreamPlan FakeChatServer::Stream(const FakeChatRequest& request,
                                  const std::vector<std::string>& deltas, const std::string& finish,
                                  const FakeChatFault& fault) {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
  }
  const json::object base{{"id", "chatcmpl-fake" + std::to_string(id)},
                          {"object", "chat.completion.chunk"},
                          {"created", static_cast<int64_t>(std::time(nullptr))},
                          {"model", request.model},
                          {"system_fingerprint", "fp_fake"}};
  auto chunk = [&](json::object delta, json::value finish_reason) {
    json::object c = base;
    c["choices"] = json::array{json::object{{"index", 0},
                                            {"delta", std::move(delta)},
                                            {"logprobs", nullptr},
                                            {"finish_reason", std::move(finish_reason)}}};
    if (request.include_usage) c["usage"] = nullptr;
    return Event(c);
  };
  StreamPlan plan;
  plan.head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache\r\nx-request-id: req_fake" +
      std::to_string(id) + "\r\n";
  plan.delay = options_.delta_delay;
  plan.pieces.push_back(
      chunk(json::object{{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr));
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    if (fault.cut_after >= 0 && i == static_cast<std::size_t>(fault.cut_after)) {
      plan.close_after = true;
      return plan;
    }
    if (fault.error_after >= 0 && i == static_cast<std::size_t>(fault.error_after)) break;
    plan.pieces.push_back(chunk(json::object{{"content", deltas[i]}}, nullptr));
  }
  if (fault.error_after >= 0) {
    plan.pieces.push_back(Event(json::object{
        {"error",
         {{"message", "The server had an error while processing your request. Sorry about that!"},
          {"type", "server_error"},
          {"param", nullptr},
          {"code", nullptr}}}}));
    return plan;
  }
  plan.pieces.push_back(chunk(json::object{}, json::string(finish)));
  if (request.include_usage) {
    json::object usage = base;
    const auto prompt = PromptTokens(request.messages);
    const auto n = static_cast<int64_t>(deltas.size());
    usage["choices"] = json::array{};
    usage["usage"] = {
        {"prompt_tokens", prompt},
        {"completion_tokens", n},
        {"total_tokens", prompt + n},
        {"prompt_tokens_details", {{"cached_tokens", 0}, {"audio_tokens", 0}}},
        {"completion_tokens_details", {{"reasoning_tokens", 0}, {"audio_tokens", 0}}}};
    plan.pieces.push_back(Event(usage));
  }
  plan.pieces.push_back("data: [DONE]\n\n");
  return plan;
}

}  // namespace studybot::testing
