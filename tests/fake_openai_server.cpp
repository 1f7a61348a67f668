#include "fake_openai_server.h"

#include "fake_openai_wire.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace studybot::testing {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxInputs = 2048;
constexpr int64_t kMaxInputTokens = 8192;
constexpr int64_t kMaxRequestTokens = 300'000;
constexpr std::string_view kInvalidInput =
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference.";

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

struct Route {
  bool azure = false;
  std::string deployment;
  std::string query;
};

// The operation a target names, or nullopt for an unknown URL.
std::optional<Route> ParseRoute(const std::string& target) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  Route r;
  if (q != std::string::npos) r.query = target.substr(q + 1);
  if (path == "/v1/embeddings") return r;
  constexpr std::string_view kPrefix = "/openai/deployments/";
  constexpr std::string_view kSuffix = "/embeddings";
  if (path.size() > kPrefix.size() + kSuffix.size() && path.starts_with(kPrefix) &&
      path.ends_with(kSuffix)) {
    r.azure = true;
    r.deployment = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
    if (r.deployment.find('/') == std::string::npos) return r;
  }
  return std::nullopt;
}

struct Input {
  std::string text;  // what is hashed
  int64_t tokens = 0;
};

// The inputs of a request's `input`, or nullopt when it has none of the accepted shapes.
std::optional<std::vector<Input>> ParseInputs(const json::value& v) {
  auto tokens_of = [](const json::array& a) -> std::optional<Input> {
    if (a.empty()) return std::nullopt;
    Input in;
    for (const json::value& t : a) {
      if (!t.is_int64() && !t.is_uint64()) return std::nullopt;
      if (!in.text.empty()) in.text += ' ';
      in.text += json::serialize(t);
    }
    in.tokens = static_cast<int64_t>(a.size());
    return in;
  };
  auto text_of = [](const json::string& s) -> std::optional<Input> {
    if (s.empty()) return std::nullopt;
    return Input{std::string(s), static_cast<int64_t>((s.size() + 3) / 4)};
  };
  std::vector<Input> out;
  if (v.is_string()) {
    auto in = text_of(v.get_string());
    if (!in) return std::nullopt;
    out.push_back(std::move(*in));
    return out;
  }
  if (!v.is_array() || v.get_array().empty() || v.get_array().size() > kMaxInputs) {
    return std::nullopt;
  }
  const json::array& a = v.get_array();
  if (a[0].is_int64() || a[0].is_uint64()) {  // one token array
    auto in = tokens_of(a);
    if (!in) return std::nullopt;
    out.push_back(std::move(*in));
    return out;
  }
  const bool strings = a[0].is_string();
  for (const json::value& item : a) {
    std::optional<Input> in;
    if (strings && item.is_string()) in = text_of(item.get_string());
    if (!strings && item.is_array()) in = tokens_of(item.get_array());
    if (!in) return std::nullopt;
    out.push_back(std::move(*in));
  }
  return out;
}

}  // namespace

FakeOpenAiServer::FakeOpenAiServer(FakeOpenAiOptions options)
    : options_(std::move(options)),
      server_([this](const ReceivedRequest& r) { return Handle(r); }) {}

FakeOpenAiServer::~FakeOpenAiServer() {
  // Cut a pending delay short so that the server thread can be joined at once.
  std::lock_guard lock(mu_);
  stopping_ = true;
  stop_cv_.notify_all();
}

void FakeOpenAiServer::Push(FakeFault fault, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i)
    faults_.push_back(fault);
}

void FakeOpenAiServer::RateLimitNext(int n, std::string retry_after, std::string retry_after_ms) {
  FakeFault f;
  f.status = 429;
  f.retry_after = std::move(retry_after);
  f.retry_after_ms = std::move(retry_after_ms);
  Push(f, n);
}

void FakeOpenAiServer::FailNext(int n, unsigned status) {
  FakeFault f;
  f.status = status;
  Push(f, n);
}

void FakeOpenAiServer::DelayNext(int n, std::chrono::milliseconds delay) {
  FakeFault f;
  f.delay = delay;
  Push(f, n);
}

void FakeOpenAiServer::BreakNext(int n, FakeBreakage breakage) {
  FakeFault f;
  f.breakage = breakage;
  Push(f, n);
}

std::vector<FakeEmbeddingCall> FakeOpenAiServer::Calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<float> FakeOpenAiServer::ExpectedVector(std::string_view text, int dimensions) {
  uint64_t state = Fnv1a(text);
  std::vector<double> v(dimensions);
  double sum = 0;
  for (double& x : v) {
    x = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    sum += x * x;
  }
  std::vector<float> out(dimensions);
  for (int i = 0; i < dimensions; ++i)
    out[i] = static_cast<float>(v[i] / std::sqrt(sum));
  return out;
}

Reply FakeOpenAiServer::Handle(const ReceivedRequest& request) {
  std::size_t inputs = 0;
  Reply reply = Answer(request, inputs);
  std::lock_guard lock(mu_);
  calls_.push_back({request, reply.status, inputs});
  return reply;
}

Reply FakeOpenAiServer::Answer(const ReceivedRequest& request, std::size_t& inputs) {
  const std::optional<Route> route = ParseRoute(request.target);
  if (!route || request.method != "POST") {
    const std::string path = request.target.substr(0, request.target.find('?'));
    return OpenAiError(route ? 405 : 404, "Invalid URL (" + request.method + " " + path + ")");
  }

  // Credentials come first, as with the real services.
  if (auto refused = CheckKey(request, route->azure, options_.api_key)) return *refused;
  std::string model;
  if (route->azure) {
    if (QueryParam(route->query, "api-version").empty()) {
      return AzureError(404, "404", "Resource not found");
    }
    auto d = options_.azure_deployments.find(route->deployment);
    if (d == options_.azure_deployments.end()) {
      return AzureError(404, "DeploymentNotFound",
                        "The API deployment for this resource does not exist. If you created the "
                        "deployment within the last 5 minutes, please wait a moment and try "
                        "again.");
    }
    model = d->second;
  }

  FakeFault fault;
  {
    std::unique_lock lock(mu_);
    if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
    if (fault.delay.count() > 0) stop_cv_.wait_for(lock, fault.delay, [&] { return stopping_; });
  }
  if (fault.status != 0) {
    return FaultReply(fault.status, fault.retry_after, fault.retry_after_ms, route->azure, model,
                      "Embeddings_Create");
  }

  boost::system::error_code ec;
  json::value doc = json::parse(request.body, ec);
  if (ec || !doc.is_object()) return InvalidJsonReply();
  const json::object& body = doc.get_object();
  for (const auto& field : body) {
    static constexpr std::string_view kKnown[] = {"input", "model", "encoding_format", "dimensions",
                                                  "user"};
    if (std::find(std::begin(kKnown), std::end(kKnown), field.key()) == std::end(kKnown)) {
      return OpenAiError(400,
                         "Unrecognized request argument supplied: " + std::string(field.key()));
    }
  }

  if (!route->azure) {
    const json::value* m = body.if_contains("model");
    if (m == nullptr) return OpenAiError(400, "you must provide a model parameter");
    if (!m->is_string()) {
      return OpenAiError(400,
                         "'$.model' is invalid. Please check the API reference: "
                         "https://platform.openai.com/docs/api-reference.");
    }
    model = std::string(m->get_string());
  }
  int native = 0;
  bool shortenable = false;
  if (model == "text-embedding-3-small" || model == "text-embedding-3-large") {
    native = model == "text-embedding-3-small" ? 1536 : 3072;
    shortenable = true;
  } else if (model == "text-embedding-ada-002") {
    native = 1536;
  } else if (auto it = options_.extra_models.find(model); it != options_.extra_models.end()) {
    native = it->second;
  } else {
    return OpenAiError(404,
                       "The model `" + model + "` does not exist or you do not have access to it.",
                       "invalid_request_error", "", "model_not_found");
  }

  const json::value* input = body.if_contains("input");
  if (input == nullptr)
    return OpenAiError(400, "'input' is a required property", "invalid_request_error", "input");
  std::optional<std::vector<Input>> in = ParseInputs(*input);
  if (!in) return OpenAiError(400, kInvalidInput);

  bool base64 = false;
  if (const json::value* f = body.if_contains("encoding_format")) {
    if (!f->is_string() || (f->get_string() != "float" && f->get_string() != "base64")) {
      return OpenAiError(400, "'encoding_format' must be one of 'float' or 'base64'.",
                         "invalid_request_error", "encoding_format");
    }
    base64 = f->get_string() == "base64";
  }
  if (const json::value* u = body.if_contains("user"); u != nullptr && !u->is_string()) {
    return OpenAiError(400,
                       "'$.user' is invalid. Please check the API reference: "
                       "https://platform.openai.com/docs/api-reference.");
  }

  int dims = native;
  if (const json::value* d = body.if_contains("dimensions")) {
    if (!(d->is_int64() || d->is_uint64()) || (d->is_int64() && d->get_int64() < 1)) {
      return OpenAiError(400,
                         "'$.dimensions' is invalid. Please check the API reference: "
                         "https://platform.openai.com/docs/api-reference.");
    }
    if (!shortenable) {
      return OpenAiError(400, "This model does not support specifying dimensions.");
    }
    const uint64_t asked = d->is_int64() ? static_cast<uint64_t>(d->get_int64()) : d->get_uint64();
    if (asked > static_cast<uint64_t>(native)) {
      return OpenAiError(400,
                         "This model's maximum dimensions is " + std::to_string(native) +
                             ", however you requested " + std::to_string(asked) + ".",
                         "invalid_request_error", "dimensions");
    }
    dims = static_cast<int>(asked);
  }

  int64_t total = 0;
  for (const Input& i : *in) {
    if (i.tokens > kMaxInputTokens) {
      return OpenAiError(400,
                         "This model's maximum context length is 8192 tokens, however you "
                         "requested " +
                             std::to_string(i.tokens) + " tokens (" + std::to_string(i.tokens) +
                             " in your prompt; 0 for the completion). Please reduce your prompt; "
                             "or completion length.",
                         "invalid_request_error", "", "context_length_exceeded");
    }
    total += i.tokens;
  }
  if (total > kMaxRequestTokens) {
    return OpenAiError(400,
                       "Requested " + std::to_string(total) +
                           " tokens, max 300000 tokens per "
                           "request",
                       "max_tokens_per_request", "", "max_tokens_per_request");
  }
  inputs = in->size();

  // The answer.
  const FakeBreakage breakage = fault.breakage;
  json::array data;
  for (std::size_t i = 0; i < in->size(); ++i) {
    std::vector<float> v = ExpectedVector((*in)[i].text, dims);
    if (options_.unnormalized) {
      for (float& x : v)
        x *= 2.5f * static_cast<float>(1 + i % 3);
    }
    if (breakage == FakeBreakage::kWrongDimension) v.pop_back();
    json::value embedding;
    if (base64) {
      std::string bytes(v.size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian, as OpenAI sends
      embedding = json::string(Base64(bytes));
    } else {
      json::array numbers;
      numbers.reserve(v.size());
      for (float x : v)
        numbers.emplace_back(static_cast<double>(x));
      // A literal 1e999 is valid JSON that parses to infinity; Boost would write "Infinity".
      if (breakage == FakeBreakage::kNonFinite && i == 0) numbers[0] = "__inf__";
      embedding = std::move(numbers);
    }
    const std::size_t index = breakage == FakeBreakage::kDuplicateIndex && i == 1 ? 0 : i;
    data.push_back(
        json::object{{"object", "embedding"}, {"index", index}, {"embedding", embedding}});
  }
  if (breakage == FakeBreakage::kDropOne && !data.empty()) data.pop_back();
  if (options_.shuffle_data && data.size() > 1) {
    std::reverse(data.begin(), data.end());
    std::rotate(data.begin(), data.begin() + 1, data.end());
  }
  json::object answer{{"object", "list"},
                      {"data", std::move(data)},
                      {"model", model},
                      {"usage", {{"prompt_tokens", total}, {"total_tokens", total}}}};
  Reply reply = JsonReply(200, answer);
  if (breakage == FakeBreakage::kNonFinite) {
    const auto pos = reply.body.find("\"__inf__\"");
    if (pos != std::string::npos) reply.body.replace(pos, 9, "1e999");
  }
  return reply;
}

}  // namespace studybot::testing
