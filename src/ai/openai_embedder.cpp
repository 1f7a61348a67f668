#include "ai/openai_embedder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "ai/backoff.h"

namespace studybot::ai {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

constexpr int kMaxDimensions = 65'536;
// The API's own limit on inputs per request.
constexpr int kApiMaxInputs = 2'048;

struct KnownModel {
  std::string_view name;
  int dimensions;
  bool shortenable;  // accepts the `dimensions` request field
};

constexpr KnownModel kKnownModels[] = {
    {"text-embedding-3-small", 1536, true},
    {"text-embedding-3-large", 3072, true},
    {"text-embedding-ada-002", 1536, false},
};

const KnownModel* FindModel(std::string_view name) {
  for (const KnownModel& m : kKnownModels) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

int ResolveDimensions(const OpenAiEmbedder::Options& o) {
  if (o.dimensions) return *o.dimensions;
  const KnownModel* m = FindModel(o.model);
  return m != nullptr ? m->dimensions : 0;
}

bool SendsDimensions(const OpenAiEmbedder::Options& o) {
  const KnownModel* m = FindModel(o.model);
  return o.dimensions && o.send_dimensions && (m == nullptr || m->shortenable);
}

Result<std::string> EmbeddingsUrl(const OpenAiEmbedder::Options& o) {
  return OperationUrl(
      {o.provider, o.base_url, o.azure_endpoint, o.azure_deployment, o.azure_api_version},
      "embeddings");
}

// Each vector scaled to unit length. The largest magnitude is divided out first so that the sum
// of squares cannot overflow, whatever a provider sends; a zero vector stays zero.
std::vector<float> Normalized(const std::vector<double>& v) {
  double peak = 0;
  for (double x : v)
    peak = std::max(peak, std::abs(x));
  std::vector<float> out(v.size(), 0.0f);
  if (peak == 0) return out;
  double sum = 0;
  for (double x : v)
    sum += (x / peak) * (x / peak);
  const double scale = 1.0 / (peak * std::sqrt(sum));
  for (std::size_t i = 0; i < v.size(); ++i)
    out[i] = static_cast<float>(v[i] * scale);
  return out;
}

// The vectors of a 2xx answer to `n` inputs, by their `index`. Errors: kUnavailable (the provider
// broke the protocol; retrying would most likely get the same answer, so nobody does).
Result<std::vector<std::vector<float>>> ParseEmbeddings(std::string_view body, std::size_t n,
                                                        int dims, const std::string& what) {
  auto bad = [&](const std::string& why) { return Error::Unavailable(what + ": " + why); };
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return bad("the answer is not a JSON object");
  const json::value* data = doc.get_object().if_contains("data");
  if (data == nullptr || !data->is_array()) return bad("the answer has no \"data\" array");
  const json::array& items = data->get_array();
  if (items.size() != n) {
    return bad("the provider answered " + std::to_string(items.size()) + " vectors for " +
               std::to_string(n) + " inputs");
  }
  std::vector<std::vector<float>> out(n);
  std::vector<bool> seen(n, false);
  std::vector<double> values;
  for (const json::value& item : items) {
    const json::object* o = item.if_object();
    const json::value* index = o != nullptr ? o->if_contains("index") : nullptr;
    if (index == nullptr || !(index->is_int64() || index->is_uint64())) {
      return bad("an embedding has no integer \"index\"");
    }
    const uint64_t i =
        index->is_int64() ? static_cast<uint64_t>(index->get_int64()) : index->get_uint64();
    if ((index->is_int64() && index->get_int64() < 0) || i >= n || seen[i]) {
      return bad("an embedding has a missing, repeated or out-of-range \"index\"");
    }
    seen[i] = true;
    const json::value* embedding = o->if_contains("embedding");
    if (embedding == nullptr || !embedding->is_array()) {
      return bad("embedding " + std::to_string(i) + " is not an array of floats");
    }
    const json::array& numbers = embedding->get_array();
    if (numbers.size() != static_cast<std::size_t>(dims)) {
      return bad("embedding " + std::to_string(i) + " has " + std::to_string(numbers.size()) +
                 " dimensions, expected " + std::to_string(dims) +
                 " (check the model and dimensions settings)");
    }
    values.clear();
    for (const json::value& x : numbers) {
      if (!x.is_number()) return bad("embedding " + std::to_string(i) + " has a non-number");
      const double d = x.to_number<double>();
      if (!std::isfinite(d)) {
        return bad("embedding " + std::to_string(i) + " has a non-finite number");
      }
      values.push_back(d);
    }
    out[i] = Normalized(values);
  }
  return out;
}

}  // namespace

std::optional<int> KnownEmbeddingDimensions(std::string_view model) {
  const KnownModel* m = FindModel(model);
  if (m == nullptr) return std::nullopt;
  return m->dimensions;
}

int64_t OpenAiEmbedder::EstimateTokens(std::string_view text) {
  return static_cast<int64_t>((text.size() + 3) / 4);
}

Status OpenAiEmbedder::Options::Validate() const {
  if (provider == OpenAiProvider::kOpenAi && model.empty()) {
    return Error::InvalidArgument("model must be set");
  }
  auto url = EmbeddingsUrl(*this);
  if (!url.ok()) return std::move(url).error();

  const KnownModel* known = FindModel(model);
  if (dimensions) {
    if (*dimensions < 1 || *dimensions > kMaxDimensions) {
      return Error::InvalidArgument("dimensions must be in [1, 65536]");
    }
    // Known limits are checked here so that a typo fails at start-up, not on the first crawl.
    if (known != nullptr && !known->shortenable && *dimensions != known->dimensions) {
      return Error::InvalidArgument("dimensions: " + model + " always has " +
                                    std::to_string(known->dimensions) + " dimensions");
    }
    if (known != nullptr && *dimensions > known->dimensions) {
      return Error::InvalidArgument("dimensions: " + model + " has at most " +
                                    std::to_string(known->dimensions) + " dimensions");
    }
  } else if (known == nullptr) {
    return Error::InvalidArgument("dimensions must be set for model \"" + model +
                                  "\" (its output length is not known)");
  }

  if (timeout.count() <= 0) return Error::InvalidArgument("timeout must be positive");
  if (max_inputs_per_request < 1 || max_inputs_per_request > kApiMaxInputs) {
    return Error::InvalidArgument("max_inputs_per_request must be in [1, 2048]");
  }
  if (max_tokens_per_request < 1) {
    return Error::InvalidArgument("max_tokens_per_request must be positive");
  }
  if (max_input_tokens < 1 || max_input_tokens > max_tokens_per_request) {
    return Error::InvalidArgument("max_input_tokens must be in [1, max_tokens_per_request]");
  }
  if (max_retries < 0) return Error::InvalidArgument("max_retries must be >= 0");
  if (retry_base.count() <= 0 || retry_cap < retry_base) {
    return Error::InvalidArgument("retry_base must be positive and at most retry_cap");
  }
  if (max_retry_wait.count() <= 0) {
    return Error::InvalidArgument("max_retry_wait must be positive");
  }
  if (auto s = budget.Validate(); !s.ok()) {
    return Error::InvalidArgument("budget." + s.error().message);
  }
  return OkStatus();
}

Result<std::unique_ptr<OpenAiEmbedder>> MakeOpenAiEmbedder(OpenAiEmbedder::Options options,
                                                           outbound::HttpClient& http) {
  if (auto s = options.Validate(); !s.ok()) {
    return Error::InvalidArgument("openai embedder: " + s.error().message);
  }
  auto url = EmbeddingsUrl(options);
  if (!url.ok()) return std::move(url).error();
  const int dims = ResolveDimensions(options);
  return std::unique_ptr<OpenAiEmbedder>(
      new OpenAiEmbedder(std::move(options), std::move(*url), dims, http));
}

OpenAiEmbedder::OpenAiEmbedder(Options options, std::string url, int dimensions,
                               outbound::HttpClient& http)
    : options_(std::move(options)),
      url_(std::move(url)),
      dimensions_(dimensions),
      id_((options_.provider == OpenAiProvider::kAzure ? "azure/" + options_.azure_deployment
                                                       : "openai/" + options_.model) +
          "/" + std::to_string(dimensions)),
      http_(http),
      own_clock_(options_.clock == nullptr ? std::make_unique<RealClock>() : nullptr),
      clock_(options_.clock != nullptr ? *options_.clock : *own_clock_),
      sleep_(options_.sleep ? options_.sleep : RealSleep()),
      send_dimensions_(SendsDimensions(options_)),
      budget_(options_.budget, clock_, sleep_),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {}

std::string OpenAiEmbedder::What() const {
  return options_.provider == OpenAiProvider::kAzure ? "azure openai embeddings"
                                                     : "openai embeddings";
}

milliseconds OpenAiEmbedder::Backoff(int attempt) {
  std::lock_guard lock(rng_mu_);
  return FullJitterBackoff(attempt, options_.retry_base, options_.retry_cap, rng_);
}

Result<std::vector<std::vector<float>>> OpenAiEmbedder::Embed(
    const std::vector<std::string>& texts) {
  // Refuse an oversize input before sending anything: a half-embedded list helps nobody.
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const int64_t tokens = EstimateTokens(texts[i]);
    if (tokens > options_.max_input_tokens) {
      const std::string why = "input " + std::to_string(i) + " is about " + std::to_string(tokens) +
                              " tokens (bytes / 4), more than " +
                              std::to_string(options_.max_input_tokens);
      return Error::InvalidArgument(What() + ": " + why, {{"/" + std::to_string(i), why}});
    }
  }

  std::vector<std::vector<float>> out(texts.size());
  std::vector<const std::string*> batch;
  std::vector<std::size_t> positions;  // of batch[k] in texts
  int64_t batch_tokens = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return OkStatus();
    auto vectors = EmbedBatch(batch, batch_tokens);
    if (!vectors.ok()) return std::move(vectors).error();
    for (std::size_t k = 0; k < positions.size(); ++k)
      out[positions[k]] = std::move((*vectors)[k]);
    batch.clear();
    positions.clear();
    batch_tokens = 0;
    return OkStatus();
  };
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) {
      out[i].assign(dimensions_, 0.0f);  // the API refuses empty input
      continue;
    }
    const int64_t tokens = EstimateTokens(texts[i]);
    if (batch.size() == static_cast<std::size_t>(options_.max_inputs_per_request) ||
        batch_tokens + tokens > options_.max_tokens_per_request) {
      if (auto s = flush(); !s.ok()) return std::move(s).error();
    }
    batch.push_back(&texts[i]);
    positions.push_back(i);
    batch_tokens += tokens;
  }
  if (auto s = flush(); !s.ok()) return std::move(s).error();
  return out;
}

Result<std::vector<std::vector<float>>> OpenAiEmbedder::EmbedBatch(
    const std::vector<const std::string*>& texts, int64_t tokens) {
  json::object body;
  json::array input;
  input.reserve(texts.size());
  for (const std::string* t : texts)
    input.emplace_back(*t);
  body["input"] = std::move(input);
  if (options_.provider == OpenAiProvider::kOpenAi) body["model"] = options_.model;
  body["encoding_format"] = "float";
  if (send_dimensions_) body["dimensions"] = *options_.dimensions;

  outbound::HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  AddKeyHeader(options_.provider, options_.api_key, request.headers);
  request.body = json::serialize(body);
  request.timeout = options_.timeout;
  // Pretty-printed floats take up to ~32 bytes each; the slack covers the envelope and errors.
  request.max_body_bytes = texts.size() * static_cast<std::size_t>(dimensions_) * 32 + (1 << 20);
  // An API has no business redirecting, and the client would carry the api-key header along.
  request.max_redirects = 0;

  const std::string what = What();
  for (int attempt = 0;; ++attempt) {
    const int attempts = attempt + 1;
    const bool last = attempt >= options_.max_retries;
    budget_.Acquire(tokens);
    auto got = http_.Send(request);
    if (!got.ok()) {
      const Error& e = got.error();
      std::string msg = what + ": " + QuoteProviderText(e.message, options_.api_key, 500);
      // Only transport failures (kUnavailable) can go away; the rest (a refused address, an
      // oversize answer) will happen again.
      if (e.code != ErrorCode::kUnavailable || last) {
        if (attempts > 1) msg += " (after " + std::to_string(attempts) + " attempts)";
        return Error::Unavailable(std::move(msg));
      }
      sleep_(Backoff(attempt));
      continue;
    }
    const long status = got->status;
    if (status >= 200 && status <= 299) {
      return ParseEmbeddings(got->body, texts.size(), dimensions_, what);
    }
    if (!IsRetryableStatus(status)) {
      return OpenAiStatusError(what, status, got->body, options_.api_key, attempts, 1);
    }
    const std::optional<milliseconds> hint = RetryAfterHint(*got, clock_.Now());
    if (last || (hint && *hint > options_.max_retry_wait)) {
      const milliseconds wait =
          hint ? *hint : BackoffCeiling(attempt + 1, options_.retry_base, options_.retry_cap);
      const long seconds = static_cast<long>(std::chrono::ceil<std::chrono::seconds>(wait).count());
      return OpenAiStatusError(what, status, got->body, options_.api_key, attempts, seconds);
    }
    // The provider's limit is per account: make every other call through this embedder wait too.
    if (status == 429 && hint) budget_.Hold(*hint);
    sleep_(std::max(hint.value_or(milliseconds(0)), Backoff(attempt)));
  }
}

}  // namespace studybot::ai
