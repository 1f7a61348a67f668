#include "ingest/document_service.h"

#include "core/crypto.h"
#include "core/ids.h"
#include "core/strings.h"
#include "ingest/pipeline.h"
#include "ingest/reindex.h"

namespace studybot::ingest {

boost::json::object DocumentJson(const Document& d) {
  boost::json::array tags;
  for (const auto& t : d.tags)
    tags.emplace_back(t);
  boost::json::object o{
      {"id", d.id},
      {"chatbot_id", d.chatbot_id},
      {"source", d.source},
      {"title", d.title},
      {"url", d.url.empty() ? boost::json::value(nullptr) : boost::json::value(d.url)},
      {"format", d.format},
      {"tags", std::move(tags)},
      {"status", d.status},
      {"chunk_count", d.chunk_count},
      {"error", d.error.empty() ? boost::json::value(nullptr) : boost::json::value(d.error)},
      {"version", d.version},
      {"content_hash", d.content_hash},
      {"created_at", d.created_at},
      {"updated_at", d.updated_at}};
  return o;
}

boost::json::object ChunkJson(const StoredChunk& c) {
  boost::json::array path;
  for (const auto& h : c.heading_path)
    path.emplace_back(h);
  return {{"id", c.id},
          {"position", c.position},
          {"text", c.text},
          {"heading_path", std::move(path)},
          {"anchor", c.anchor.empty() ? boost::json::value(nullptr) : boost::json::value(c.anchor)},
          {"page", c.page == 0 ? boost::json::value(nullptr) : boost::json::value(c.page)},
          {"token_count", c.token_count}};
}

Status DocumentService::Check(const DocumentInput& in) const {
  if (in.content.empty()) {
    return Error::InvalidArgument("the document is empty", {{"/content", "must not be empty"}});
  }
  if (in.content.size() > limits_.max_bytes) {
    return Error::PayloadTooLarge("the document is larger than " +
                                  std::to_string(limits_.max_bytes) + " bytes")
        .WithSlug("document_too_large");
  }
  if (in.format != "pdf" && CleanUtf8(in.content).size() != in.content.size()) {
    return Error::InvalidArgument("the content is not valid UTF-8", {{"/content", "not UTF-8"}});
  }
  return OkStatus();
}

Status DocumentService::CheckChatbot(const auth::Principal& who, const std::string& chatbot_id) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  return OkStatus();
}

Result<Document> DocumentService::Create(const auth::Principal& who, const std::string& chatbot_id,
                                         const DocumentInput& in, const auth::ClientInfo& client) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok.error();
  auto valid = Check(in);
  if (!valid.ok()) return valid.error();
  Document d;
  d.id = NewUuid();
  d.chatbot_id = chatbot_id;
  d.source = "upload";
  d.title = in.title;
  d.url = in.url;
  d.format = in.format;
  d.tags = in.tags;
  d.content_hash = Sha256Hex(in.content);
  d.created_by = who.user_id;
  d.created_at = FormatRfc3339Millis(clock_.Now());
  d.updated_at = d.created_at;
  // A PDF's bytes are kept as base64url in the text column (MySQL's utf8mb4 takes no binary).
  auto inserted = docs_.Insert(d, d.format == "pdf" ? Base64UrlEncode(in.content) : in.content,
                               queue_, IngestJobFor(d));
  if (!inserted.ok()) return inserted.error();
  (void)audit_.Record(
      {who.user_id, "", client.ip, client.user_agent, client.request_id},
      {"document.create",
       "document",
       d.id,
       {{"chatbot_id", chatbot_id}, {"title", d.title}, {"bytes", in.content.size()}}});
  if (on_queued_) on_queued_();
  return d;
}

Result<std::vector<Document>> DocumentService::CreateMany(const auth::Principal& who,
                                                          const std::string& chatbot_id,
                                                          const std::vector<DocumentInput>& inputs,
                                                          const auth::ClientInfo& client) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok.error();
  for (const auto& in : inputs) {
    auto valid = Check(in);
    if (!valid.ok()) return valid.error();
  }
  std::vector<Document> out;
  for (const auto& in : inputs) {
    auto made = Create(who, chatbot_id, in, client);
    if (!made.ok()) return made.error();
    out.push_back(std::move(made).value());
  }
  return out;
}

Result<Document> DocumentService::Replace(const auth::Principal& who, const std::string& chatbot_id,
                                          const std::string& id, const DocumentInput& in,
                                          const auth::ClientInfo& client) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok.error();
  auto found = docs_.Find(chatbot_id, id);
  if (!found.ok()) return found.error();
  if (!found->has_value()) return Error::NotFound("no such document");
  auto valid = Check(in);
  if (!valid.ok()) return valid.error();
  Document d = **found;
  if (d.source != "upload") {
    return Error::Conflict("crawled pages change with their site; re-crawl instead")
        .WithSlug("crawled_document");
  }
  d.title = in.title;
  d.url = in.url;
  d.format = in.format;
  d.tags = in.tags;
  d.content_hash = Sha256Hex(in.content);
  d.version += 1;
  d.status = "queued";
  d.error.clear();
  d.updated_at = FormatRfc3339Millis(clock_.Now());
  auto replaced = docs_.Replace(d, in.content, queue_, IngestJobFor(d));
  if (!replaced.ok()) return replaced.error();
  if (!*replaced) return Error::NotFound("no such document");
  (void)audit_.Record(
      {who.user_id, "", client.ip, client.user_agent, client.request_id},
      {"document.replace", "document", d.id, {{"chatbot_id", chatbot_id}, {"version", d.version}}});
  if (on_queued_) on_queued_();
  return d;
}

Status DocumentService::Delete(const auth::Principal& who, const std::string& chatbot_id,
                               const std::string& id, const auth::ClientInfo& client) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok;
  auto deleted = docs_.Delete(chatbot_id, id);
  if (!deleted.ok()) return deleted.error();
  if (!*deleted) return Error::NotFound("no such document");
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {"document.delete", "document", id, {{"chatbot_id", chatbot_id}}});
  if (on_queued_) on_queued_();
  return OkStatus();
}

Result<std::string> DocumentService::Reindex(const auth::Principal& who,
                                             const std::string& chatbot_id,
                                             const auth::ClientInfo& client) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok.error();
  auto job = queue_.Enqueue(ReindexJobFor(chatbot_id, true));
  if (!job.ok()) return job.error();
  (void)audit_.Record({who.user_id, "", client.ip, client.user_agent, client.request_id},
                      {"chatbot.reindex", "chatbot", chatbot_id, {{"job_id", *job}}});
  if (on_queued_) on_queued_();
  return job;
}

Result<std::pair<Document, std::vector<StoredChunk>>> DocumentService::Get(
    const auth::Principal& who, const std::string& chatbot_id, const std::string& id) {
  auto ok = CheckChatbot(who, chatbot_id);
  if (!ok.ok()) return ok.error();
  auto found = docs_.Find(chatbot_id, id);
  if (!found.ok()) return found.error();
  if (!found->has_value()) return Error::NotFound("no such document");
  auto chunks = docs_.Chunks(id);
  if (!chunks.ok()) return chunks.error();
  return std::pair{**found, std::move(chunks).value()};
}

Result<DocumentPage> DocumentService::List(const auth::Principal& who, const DocumentQuery& q) {
  auto ok = CheckChatbot(who, q.chatbot_id);
  if (!ok.ok()) return ok.error();
  return docs_.List(q);
}

}  // namespace studybot::ingest
