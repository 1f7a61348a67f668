#include "ingest/routes.h"

#include "auth/admin_call.h"
#include "core/ids.h"
#include "core/strings.h"
#include "http/multipart.h"
#include "http/request_body.h"
#include "ingest/upload.h"

namespace studybot::ingest {
namespace {

namespace asio = boost::asio;
using auth::Principal;
using http::RequestContext;
using http::Response;

DocumentInput InputFrom(const boost::json::object& body) {
  DocumentInput in;
  in.title = std::string(body.at("title").as_string());
  in.content = std::string(body.at("content").as_string());
  if (auto* v = body.if_contains("url")) in.url = std::string(v->as_string());
  if (auto* v = body.if_contains("format")) in.format = std::string(v->as_string());
  if (auto* v = body.if_contains("tags")) {
    for (const auto& t : v->as_array())
      in.tags.emplace_back(t.as_string());
  }
  return in;
}

SearchInput SearchFrom(const boost::json::object& body) {
  SearchInput in;
  in.query = std::string(body.at("query").as_string());
  if (auto* v = body.if_contains("top_k")) in.top_k = static_cast<std::size_t>(v->as_int64());
  if (auto* v = body.if_contains("mode")) {
    in.mode = v->as_string() == "keyword" ? search::SearchMode::kKeyword
              : v->as_string() == "dense" ? search::SearchMode::kDense
                                          : search::SearchMode::kHybrid;
  }
  if (auto* v = body.if_contains("fusion")) {
    in.fusion = v->as_string() == "rrf" ? search::Fusion::kRrf : search::Fusion::kConvex;
  }
  if (auto* v = body.if_contains("score_threshold")) in.score_threshold = v->to_number<double>();
  if (auto* f = body.if_contains("filters")) {
    const auto& o = f->as_object();
    if (auto* d = o.if_contains("document_ids")) {
      for (const auto& id : d->as_array())
        in.filter.document_ids.emplace_back(id.as_string());
    }
    if (auto* s = o.if_contains("source")) in.filter.source = s->as_string();
    if (auto* u = o.if_contains("url_prefix")) in.filter.url_prefix = u->as_string();
    if (auto* t = o.if_contains("tags")) {
      for (const auto& tag : t->as_array())
        in.filter.tags.emplace_back(tag.as_string());
    }
  }
  return in;
}

boost::json::object ResultJson(const SearchResult& r) {
  boost::json::array path;
  for (const auto& h : r.heading_path)
    path.emplace_back(h);
  boost::json::object ranks{
      {"keyword",
       r.keyword_rank ? boost::json::value(r.keyword_rank) : boost::json::value(nullptr)},
      {"dense", r.dense_rank ? boost::json::value(r.dense_rank) : boost::json::value(nullptr)}};
  return {{"chunk_id", r.chunk_id},
          {"document_id", r.document_id},
          {"title", r.title},
          {"url", r.url.empty() ? boost::json::value(nullptr) : boost::json::value(r.url)},
          {"heading_path", std::move(path)},
          {"page", r.page ? boost::json::value(r.page) : boost::json::value(nullptr)},
          {"snippet", r.snippet},
          {"score", r.score},
          {"ranks", std::move(ranks)},
          {"scores", {{"keyword", r.keyword_score}, {"dense", r.dense_score}}}};
}

Response Accepted(const Document& d) {
  auto res = http::JsonResponse(http::Status::accepted, DocumentJson(d));
  res.set(http::bhttp::field::location, "/api/chatbots/" + d.chatbot_id + "/documents/" + d.id);
  return res;
}

bool IsMultipart(const RequestContext& ctx) {
  std::string_view type = ctx.request[http::bhttp::field::content_type];
  return type.size() >= 19 && EqualsIgnoreCase(type.substr(0, 19), "multipart/form-data");
}

// A multipart upload: one document per file, all checked before any is stored.
asio::awaitable<Response> Upload(const KnowledgeRoutesDeps& d, RequestContext& ctx,
                                 const std::string& id, const auth::ClientInfo& client) {
  return auth::AdminCall(
      d.guard, d.workers, ctx,
      [&d, &ctx, id, client](const Principal& p) -> Result<std::vector<Document>> {
        auto access = d.documents.CheckAccess(p, id);
        if (!access.ok()) return access.error();
        auto parts = http::ParseMultipartBody(ctx.request, UploadLimits(d.documents.limits()));
        if (!parts.ok()) return parts.error();
        auto inputs = UploadInputs(*parts);
        if (!inputs.ok()) return inputs.error();
        return d.documents.CreateMany(p, id, *inputs, client);
      },
      [](const std::vector<Document>& docs) {
        boost::json::array items;
        for (const auto& doc : docs)
          items.push_back(DocumentJson(doc));
        return http::JsonResponse(http::Status::accepted, {{"documents", std::move(items)}});
      });
}

}  // namespace

void RegisterKnowledgeRoutes(http::Router& router, const KnowledgeRoutesDeps& deps) {
  const KnowledgeRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chatbots/:id/documents",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               if (IsMultipart(ctx)) return Upload(*d, ctx, id, client);
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "create_document_request",
                   [d, id](const Principal& p) { return d->documents.CheckAccess(p, id); },
                   [d, client, id](const Principal& p, const boost::json::object& body) {
                     return d->documents.Create(p, id, InputFrom(body), client);
                   },
                   Accepted);
             });

  router.MarkUploadRoute("/api/chatbots/:id/documents");

  router.Add(
      http::Method::get, "/api/chatbots/:id/documents",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        std::string id(ctx.Param("id"));
        auto page = http::ReadPageParams(ctx.query);
        auto status = http::QueryParam(ctx.query, "status");
        auto source = http::QueryParam(ctx.query, "source");
        return auth::AdminCall(
            d->guard, d->workers, ctx,
            [d, id, page, status, source](const Principal& p) -> Result<DocumentPage> {
              if (!page.ok()) return page.error();
              DocumentQuery q;
              q.chatbot_id = id;
              q.limit = page->limit;
              q.cursor = page->cursor;
              if (status) {
                if (*status != "queued" && *status != "processing" && *status != "ready" &&
                    *status != "failed") {
                  return Error::InvalidArgument(
                      "bad status", {{"/status", "queued, processing, ready or failed"}});
                }
                q.status = *status;
              }
              if (source) {
                if (*source != "upload" && *source != "crawl") {
                  return Error::InvalidArgument("bad source", {{"/source", "upload or crawl"}});
                }
                q.source = *source;
              }
              return d->documents.List(p, q);
            },
            [](const DocumentPage& r) {
              boost::json::array items;
              for (const auto& doc : r.items)
                items.push_back(DocumentJson(doc));
              return http::JsonResponse(http::Status::ok,
                                        http::PageJson(std::move(items), r.next_cursor));
            });
      });

  router.Add(http::Method::get, "/api/chatbots/:id/documents/:doc_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               std::string doc(ctx.Param("doc_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id, doc](const Principal& p) { return d->documents.Get(p, id, doc); },
                   [](const std::pair<Document, std::vector<StoredChunk>>& r) {
                     auto o = DocumentJson(r.first);
                     boost::json::array chunks;
                     for (const auto& c : r.second)
                       chunks.push_back(ChunkJson(c));
                     o["chunks"] = std::move(chunks);
                     return http::JsonResponse(http::Status::ok, o);
                   });
             });

  router.Add(http::Method::put, "/api/chatbots/:id/documents/:doc_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string doc(ctx.Param("doc_id"));
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "update_document_request",
                   [d, id](const Principal& p) { return d->documents.CheckAccess(p, id); },
                   [d, client, id, doc](const Principal& p, const boost::json::object& body) {
                     return d->documents.Replace(p, id, doc, InputFrom(body), client);
                   },
                   Accepted);
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id/documents/:doc_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string doc(ctx.Param("doc_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, client, id, doc](const Principal& p) {
                     return d->documents.Delete(p, id, doc, client);
                   },
                   [] {
                     return Response{http::Status::no_content, 11};
                   });
             });

  router.Add(
      http::Method::post, "/api/chatbots/:id/reindex",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        auto client = auth::ClientOf(ctx);
        std::string id(ctx.Param("id"));
        return auth::AdminCall(
            d->guard, d->workers, ctx,
            [d, client, id](const Principal& p) { return d->documents.Reindex(p, id, client); },
            [](const std::string& job) {
              return http::JsonResponse(http::Status::accepted,
                                        {{"job_id", job}, {"status", "queued"}});
            });
      });

  router.Add(
      http::Method::post, "/api/chatbots/:id/search",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        std::string id(ctx.Param("id"));
        return auth::AdminCallWithBody(
            d->guard, d->workers, d->validator, ctx, "search_request",
            [d, id](const Principal& p) { return d->documents.CheckAccess(p, id); },
            [d, id](const Principal& p, const boost::json::object& body) {
              return d->search.Search(p, id, SearchFrom(body));
            },
            [](const SearchOutcome& outcome) {
              boost::json::array items;
              for (const auto& r : outcome.results)
                items.push_back(ResultJson(r));
              const char* mode = outcome.mode == search::SearchMode::kKeyword ? "keyword"
                                 : outcome.mode == search::SearchMode::kDense ? "dense"
                                                                              : "hybrid";
              return http::JsonResponse(
                  http::Status::ok,
                  {{"results", std::move(items)},
                   {"mode", mode},
                   {"embedder", outcome.embedder.empty() ? boost::json::value(nullptr)
                                                         : boost::json::value(outcome.embedder)}});
            });
      });
}

}  // namespace studybot::ingest
