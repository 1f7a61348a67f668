#include "ingest/pipeline.h"

#include <cstring>
#include <unordered_map>

#include "core/crypto.h"
#include "ingest/parsers.h"

namespace studybot::ingest {
namespace {

// Chunks embedded per provider call: large enough to amortise a request, small enough to show
// progress and renew the lease often.
constexpr std::size_t kEmbedBatch = 64;

const char* MediaTypeOf(const std::string& format) {
  if (format == "markdown") return "text/markdown";
  if (format == "html") return "text/html";
  if (format == "pdf") return "application/pdf";
  return "text/plain";
}

}  // namespace

jobs::JobSpec IngestJobFor(const Document& doc) {
  jobs::JobSpec spec;
  spec.kind = kIngestJob;
  spec.chatbot_id = doc.chatbot_id;
  spec.payload = {{"document_id", doc.id}, {"version", doc.version}};
  spec.dedup_key = "ingest:" + doc.id + ":" + std::to_string(doc.version);
  return spec;
}

std::string EmbeddedText(const Chunk& chunk) {
  std::string out;
  for (const auto& h : chunk.heading_path) {
    out += h;
    out += '\n';
  }
  out += chunk.text;
  return out;
}

std::string PackVector(const std::vector<float>& v) {
  static_assert(sizeof(float) == 4);
  std::string out(v.size() * 4, '\0');
  std::memcpy(out.data(), v.data(), out.size());  // little-endian hosts only (x86-64, arm64)
  return out;
}

std::vector<float> UnpackVector(const std::string& bytes) {
  if (bytes.size() % 4 != 0) return {};
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

Status IngestPipeline::Run(jobs::JobContext& ctx) {
  const auto& payload = ctx.job().payload;
  const auto* id = payload.if_contains("document_id");
  const auto* version = payload.if_contains("version");
  if (id == nullptr || !id->is_string() || version == nullptr || !version->is_int64()) {
    return Error::InvalidArgument("malformed ingestion job");
  }
  auto found = docs_.FindWithBody(std::string(id->as_string()));
  if (!found.ok()) return found.error();
  if (!found->has_value()) return OkStatus();  // deleted since: nothing to do
  auto& [doc, body] = **found;
  if (doc.version != version->as_int64()) return OkStatus();  // replaced since: its own job
  auto done = Ingest(ctx, doc, body);
  if (!done.ok()) {
    // The admin reads why on the document: failed for good when retrying will not cure it (or
    // this was the last attempt), queued again (with the reason) otherwise.
    auto code = done.error().code;
    bool transient = code == ErrorCode::kUnavailable || code == ErrorCode::kRateLimited ||
                     code == ErrorCode::kInternal;
    bool last = ctx.job().attempts >= ctx.job().max_attempts;
    (void)docs_.SetStatus(doc.id, doc.version, transient && !last ? "queued" : "failed",
                          done.error().message);
  }
  return done;
}

Status IngestPipeline::Ingest(jobs::JobContext& ctx, Document& doc, const std::string& body) {
  (void)docs_.SetStatus(doc.id, doc.version, "processing", "");
  auto parsed = ParseDocument(MediaTypeOf(doc.format), body);
  if (!parsed.ok()) return parsed.error();
  if (parsed->title.empty()) parsed->title = doc.title;
  auto chunks = ChunkDocument(*parsed, chunking_);

  std::vector<ChunkRow> rows;
  std::vector<std::string> texts;
  rows.reserve(chunks.size());
  for (const auto& c : chunks) {
    ChunkRow r;
    r.position = c.position;
    r.text = c.text;
    r.heading_path = c.heading_path;
    r.anchor = c.anchor;
    r.page = c.page;
    r.token_count = c.token_count;
    texts.push_back(EmbeddedText(c));
    r.content_hash = Sha256Hex(texts.back());
    rows.push_back(std::move(r));
  }

  // Embed what the cache does not have, once per distinct text.
  std::vector<std::string> hashes;
  std::unordered_map<std::string, std::size_t> first_of;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (first_of.emplace(rows[i].content_hash, i).second) hashes.push_back(rows[i].content_hash);
  }
  auto cached = docs_.CachedVectors(embedder_.id(), hashes);
  if (!cached.ok()) return cached.error();
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if ((*cached)[i].empty()) missing.push_back(i);
  }
  std::size_t embedded = 0;
  for (std::size_t start = 0; start < missing.size(); start += kEmbedBatch) {
    if (ctx.lost()) return Error::Unavailable("the ingestion job was interrupted");
    std::vector<std::string> batch;
    for (std::size_t j = start; j < std::min(missing.size(), start + kEmbedBatch); ++j)
      batch.push_back(texts[first_of[hashes[missing[j]]]]);
    auto vectors = embedder_.Embed(batch);
    if (!vectors.ok()) return vectors.error();
    for (std::size_t j = 0; j < batch.size(); ++j) {
      auto stored =
          docs_.CacheVector(embedder_.id(), hashes[missing[start + j]], PackVector((*vectors)[j]));
      if (!stored.ok()) return stored;
    }
    embedded += batch.size();
    ctx.SetProgress(
        {{"chunks", rows.size()}, {"embedded", embedded}, {"to_embed", missing.size()}});
  }

  auto outcome = docs_.ReplaceChunks(doc, rows);
  if (!outcome.ok()) return outcome.error();
  if (!outcome->has_value()) return OkStatus();  // replaced meanwhile
  const auto& o = **outcome;
  ctx.SetProgress({{"chunks", o.stored},
                   {"added", o.added},
                   {"kept", o.kept},
                   {"removed", o.removed},
                   {"duplicates", o.duplicates},
                   {"embedded", embedded}});
  if (on_stored_) on_stored_();
  return OkStatus();
}

}  // namespace studybot::ingest
