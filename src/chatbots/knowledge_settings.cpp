#include "chatbots/knowledge_settings.h"

#include <boost/url/parse.hpp>

namespace studybot::chatbots {
namespace {

namespace json = boost::json;

const json::object* Sub(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

void ReadString(const json::object& o, const char* key, std::string& out) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) out = v->as_string();
}

void ReadInt(const json::object& o, const char* key, int& out) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_int64()) {
    out = static_cast<int>(v->as_int64());
  }
}

void ReadNumber(const json::object& o, const char* key, double& out) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_number())
    out = v->to_number<double>();
}

// Applies the fields present in `o` (a stored form or a patch).
void Merge(KnowledgeSettings& s, const json::object& o) {
  if (const auto* r = Sub(o, "retrieval")) {
    ReadInt(*r, "top_k", s.retrieval.top_k);
    ReadNumber(*r, "score_threshold", s.retrieval.score_threshold);
    ReadString(*r, "mode", s.retrieval.mode);
    ReadString(*r, "fusion", s.retrieval.fusion);
  }
  if (const auto* c = Sub(o, "chunking")) {
    ReadInt(*c, "size_tokens", s.chunking.size_tokens);
    ReadInt(*c, "overlap_tokens", s.chunking.overlap_tokens);
  }
  ReadString(o, "language", s.language);
  if (const auto* e = Sub(o, "embedder")) {
    std::string provider = s.embedder.provider;
    ReadString(*e, "provider", provider);
    if (provider != s.embedder.provider)
      s.embedder = EmbedderSettings{provider, "", 0, "", "", "", ""};
    std::string model = s.embedder.model;
    ReadString(*e, "model", s.embedder.model);
    if (s.embedder.model != model) s.embedder.dimensions = 0;  // the new model's own
    ReadInt(*e, "dimensions", s.embedder.dimensions);
    ReadString(*e, "base_url", s.embedder.base_url);
    ReadString(*e, "endpoint", s.embedder.endpoint);
    ReadString(*e, "deployment", s.embedder.deployment);
    ReadString(*e, "api_version", s.embedder.api_version);
  }
}

bool IsHttpUrl(const std::string& text) {
  auto u = boost::urls::parse_absolute_uri(text);
  return u && (u->scheme() == "http" || u->scheme() == "https") && !u->host().empty() &&
         !u->has_userinfo() && !u->has_query() && !u->has_fragment();
}

}  // namespace

Result<KnowledgeSettings> ApplyKnowledgePatch(const KnowledgeSettings& base,
                                              const json::object& patch) {
  KnowledgeSettings s = base;
  Merge(s, patch);
  std::vector<FieldError> bad;
  if (s.chunking.overlap_tokens * 2 > s.chunking.size_tokens) {
    bad.push_back(
        {"/knowledge/chunking/overlap_tokens",
         "must be at most half of size_tokens (" + std::to_string(s.chunking.size_tokens) + ")"});
  }
  auto& e = s.embedder;
  if (e.provider == "builtin") {
    if (e.model.empty()) e.model = "learned";
    if (e.model != "learned" && e.model != "hashing") {
      bad.push_back({"/knowledge/embedder/model", "the built-in embedder is learned or hashing"});
    }
    if (e.dimensions == 0) e.dimensions = e.model == "hashing" ? 384 : 160;
    if (e.dimensions < 16 || e.dimensions > 1024) {
      bad.push_back({"/knowledge/embedder/dimensions", "built-in embedders have 16 to 1024"});
    }
  } else if (e.provider == "openai") {
    if (e.model.empty()) e.model = "text-embedding-3-small";
    if (!e.base_url.empty() && !IsHttpUrl(e.base_url)) {
      bad.push_back({"/knowledge/embedder/base_url",
                     "must be an http(s) URL without credentials, query or fragment"});
    }
  } else if (e.provider == "azure") {
    if (e.model.empty()) e.model = "text-embedding-3-small";
    if (e.api_version.empty()) e.api_version = "2024-10-21";
    if (!IsHttpUrl(e.endpoint)) {
      bad.push_back({"/knowledge/embedder/endpoint",
                     "an Azure embedder needs its https://<resource>.openai.azure.com endpoint"});
    }
    if (e.deployment.empty()) {
      bad.push_back({"/knowledge/embedder/deployment", "an Azure embedder needs its deployment"});
    }
  } else {
    bad.push_back({"/knowledge/embedder/provider", "must be builtin, openai or azure"});
  }
  if (!bad.empty()) return Error::InvalidArgument("invalid knowledge settings", std::move(bad));
  return s;
}

json::object KnowledgeJson(const KnowledgeSettings& s) {
  json::object embedder{{"provider", s.embedder.provider},
                        {"model", s.embedder.model},
                        {"dimensions", s.embedder.dimensions}};
  if (s.embedder.provider == "openai") embedder["base_url"] = s.embedder.base_url;
  if (s.embedder.provider == "azure") {
    embedder["endpoint"] = s.embedder.endpoint;
    embedder["deployment"] = s.embedder.deployment;
    embedder["api_version"] = s.embedder.api_version;
  }
  return {
      {"retrieval",
       {{"top_k", s.retrieval.top_k},
        {"score_threshold", s.retrieval.score_threshold},
        {"mode", s.retrieval.mode},
        {"fusion", s.retrieval.fusion}}},
      {"chunking",
       {{"size_tokens", s.chunking.size_tokens}, {"overlap_tokens", s.chunking.overlap_tokens}}},
      {"language", s.language},
      {"embedder", std::move(embedder)}};
}

KnowledgeSettings KnowledgeFromJson(const json::object& o) {
  KnowledgeSettings s;
  Merge(s, o);
  if (s.embedder.provider == "builtin" && s.embedder.dimensions == 0) {
    s.embedder.dimensions = s.embedder.model == "hashing" ? 384 : 160;
  }
  return s;
}

}  // namespace studybot::chatbots
