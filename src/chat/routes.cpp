#include "chat/routes.h"

#include "http/request_body.h"
#include "http/responses.h"

namespace studybot::chat {
namespace {

namespace asio = boost::asio;
using http::Fail;
using http::RequestContext;
using http::Response;

Response HistoryResponse(const History& h, bool for_admin) {
  boost::json::array messages;
  for (const auto& m : h.messages)
    messages.push_back(MessageJson(m));
  return http::JsonResponse(http::Status::ok, {{"session", SessionJson(h.session, for_admin)},
                                               {"messages", std::move(messages)}});
}

}  // namespace

void RegisterChatRoutes(http::Router& router, const ChatRoutesDeps& deps) {
  const ChatRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chat/sessions",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto access = co_await d->widget.Authenticate(ctx, "");
               if (!access.ok()) co_return Fail(ctx, access.error());
               auto body = http::ReadBody(ctx.request, d->validator, "start_chat_session_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               SessionStart in;
               in.chatbot_id = access->chatbot.id;
               if (auto* v = body->if_contains("visitor_id")) in.visitor_id = v->as_string();
               in.ip = ctx.client_ip;
               in.user_agent = auth::ClientOf(ctx).user_agent;
               auto job = [=] { return d->sessions.Start(in); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::created, SessionJson(*r, false));
             });
  router.MarkWidgetRoute("/api/chat/sessions");

  // Admins (Bearer token) read any session of their chatbots; the widget (X-Api-Key) reads its own
  // session, rate limited per session as well.
  router.Add(http::Method::get, "/api/chat/history/:session_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string session(ctx.Param("session_id"));
               if (!http::BearerToken(ctx.request).empty()) {
                 auto who = co_await d->guard.Authenticate(ctx);
                 if (!who.ok()) co_return Fail(ctx, who.error());
                 if (!PlausibleSessionId(session)) {
                   co_return Fail(ctx, Error::NotFound("no such chat session"));
                 }
                 auto p = *who;
                 auto job = [=] { return d->sessions.HistoryForAdmin(p, session); };
                 auto r = co_await d->workers.Run(job);
                 if (!r.ok()) co_return Fail(ctx, r.error());
                 co_return HistoryResponse(*r, true);
               }
               if (!PlausibleSessionId(session)) {
                 co_return Fail(ctx, Error::NotFound("no such chat session"));
               }
               auto access = co_await d->widget.Authenticate(ctx, "", session);
               if (!access.ok()) co_return Fail(ctx, access.error());
               std::string bot = access->chatbot.id;
               auto job = [=] { return d->sessions.HistoryForWidget(bot, session); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return HistoryResponse(*r, false);
             });
  router.MarkWidgetRoute("/api/chat/history/:session_id");

  router.Add(http::Method::get, "/api/chat/sessions",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto page = http::ReadPageParams(ctx.query);
               if (!page.ok()) co_return Fail(ctx, page.error());
               std::string bot = http::QueryParam(ctx.query, "chatbot_id").value_or("");
               if (bot.size() > 64) {
                 co_return Fail(ctx, Error::InvalidArgument("chatbot_id is too long",
                                                            {{"/chatbot_id", "at most 64"}}));
               }
               auto p = *who;
               auto pg = *page;
               auto job = [=] { return d->sessions.List(p, bot, pg.limit, pg.cursor); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& s : r->items)
                 items.push_back(SessionJson(s, true));
               co_return http::JsonResponse(http::Status::ok,
                                            http::PageJson(std::move(items), r->next_cursor));
             });
}

}  // namespace studybot::chat
