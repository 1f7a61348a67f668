#include "chat/answer_routes.h"

#include <boost/json/serialize.hpp>

#include "chat/answer_flow.h"
#include "http/request_body.h"
#include "http/responses.h"
#include "http/sse.h"

namespace studybot::chat {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Fail;
using http::RequestContext;
using http::Response;

// The plain JSON answer: nobody reads the deltas.
class SilentOutput final : public AnswerOutput {
 public:
  asio::awaitable<bool> Delta(std::string_view) override { co_return true; }
  asio::awaitable<bool> Idle() override { co_return true; }
};

std::string DeltaEvent(std::string_view text) {
  json::object o;
  o["text"] = text;
  return http::SseEvent("delta", json::serialize(o));
}

// The streamed answer: a `delta` event per piece, a comment as heartbeat.
class SseOutput final : public AnswerOutput {
 public:
  SseOutput(http::StreamWriter& writer, std::chrono::milliseconds heartbeat)
      : writer_(writer), heartbeat_(heartbeat) {}
  std::chrono::milliseconds idle_interval() const override { return heartbeat_; }
  asio::awaitable<bool> Delta(std::string_view text) override {
    // Built before the co_await: g++ 12 mishandles braced temporaries inside one.
    std::string event = DeltaEvent(text);
    co_return co_await writer_.Write(std::move(event));
  }
  asio::awaitable<bool> Idle() override {
    co_return co_await writer_.Write(http::SseComment("heartbeat"));
  }

 private:
  http::StreamWriter& writer_;
  std::chrono::milliseconds heartbeat_;
};

// Who asks: an admin (Bearer token) trying one of their chatbots, or the widget.
asio::awaitable<Result<AskInput>> Caller(const AnswerRoutesDeps& d, RequestContext& ctx,
                                         const std::string& chatbot_id,
                                         const std::string& session_id) {
  AskInput in;
  in.ip = ctx.client_ip;
  in.user_agent = auth::ClientOf(ctx).user_agent;
  in.session_id = session_id;
  if (!http::BearerToken(ctx.request).empty()) {
    auto who = co_await d.guard.Authenticate(ctx);
    if (!who.ok()) co_return who.error();
    auto p = *who;
    auto job = [&d, p, chatbot_id] { return d.chatbots.Find(p, chatbot_id); };
    auto bot = co_await d.workers.Run(job);
    if (!bot.ok()) co_return bot.error();
    in.bot = std::move(bot).value();
    in.user_id = p.user_id;
    in.widget = false;
    co_return in;
  }
  auto access = co_await d.widget.Authenticate(ctx, chatbot_id, session_id);
  if (!access.ok()) co_return access.error();
  in.bot = std::move(access->chatbot);
  co_return in;
}

// The events of a streamed answer: start, delta..., sources, done (or error). Every event is
// built before its co_await (g++ 12 mishandles braced temporaries inside one).
asio::awaitable<void> StreamAnswer(const AnswerRoutesDeps* deps,
                                   std::shared_ptr<const PendingAnswer> pending,
                                   std::string request_id, http::StreamWriter& writer) {
  json::object start_body{{"message_id", pending->answer_id},
                          {"question_id", pending->question_id},
                          {"session_id", pending->session_id}};
  std::string start = http::SseEvent("start", json::serialize(start_body));
  if (!co_await writer.Write(std::move(start))) co_return;
  SseOutput output(writer, deps->heartbeat);
  auto record = co_await RunAnswer(deps->answers, deps->workers, *pending, output, writer.gone());
  if (!record.ok()) {
    if (record.error().code != ErrorCode::kCancelled) {
      std::string error =
          http::SseEvent("error", json::serialize(http::ErrorJson(record.error(), request_id)));
      (void)co_await writer.Write(std::move(error));
    }
    co_return;
  }
  json::array list;
  for (const auto& s : record->sources)
    list.push_back(AnswerSourceJson(s));
  json::object sources_body;
  sources_body["sources"] = std::move(list);
  std::string sources = http::SseEvent("sources", json::serialize(sources_body));
  if (!co_await writer.Write(std::move(sources))) co_return;
  std::string done = http::SseEvent("done", json::serialize(AnswerRecordJson(*record)));
  (void)co_await writer.Write(std::move(done));
}

asio::awaitable<Response> PostMessage(const AnswerRoutesDeps& d, RequestContext& ctx) {
  auto body = http::ReadBody(ctx.request, d.validator, "chat_message_request");
  if (!body.ok()) co_return Fail(ctx, body.error());
  std::string chatbot_id(body->at("chatbot_id").as_string());
  std::string session_id;
  if (auto* v = body->if_contains("session_id")) session_id = v->as_string();
  bool stream = http::AcceptsEventStream(ctx.request);
  if (auto* v = body->if_contains("stream")) stream = v->as_bool();
  if (!session_id.empty() && !PlausibleSessionId(session_id)) {
    co_return Fail(ctx, Error::NotFound("no such chat session"));
  }
  auto caller = co_await Caller(d, ctx, chatbot_id, session_id);
  if (!caller.ok()) co_return Fail(ctx, caller.error());
  if (caller->bot.status != "active") {
    co_return Fail(ctx, Error::Unprocessable("this chatbot is disabled").WithSlug("disabled"));
  }
  caller->message = std::string(body->at("message").as_string());
  auto in = std::move(caller).value();
  auto begin = [&d, &in] { return d.answers.Begin(in); };
  auto begun = co_await d.workers.Run(begin);
  if (!begun.ok()) co_return Fail(ctx, begun.error());
  PendingAnswer& p = *begun;
  co_await RewriteFollowUp(d.answers, d.workers, p);
  auto retrieve = [&d, &p] { return d.answers.Retrieve(p); };
  auto retrieved = co_await d.workers.Run(retrieve);
  if (!retrieved.ok()) co_return Fail(ctx, retrieved.error());
  auto pending = std::make_shared<const PendingAnswer>(std::move(p));

  if (!stream) {
    SilentOutput output;
    auto record = co_await RunAnswer(d.answers, d.workers, *pending, output,
                                     std::make_shared<Cancellation>());
    if (!record.ok()) co_return Fail(ctx, record.error());
    co_return http::JsonResponse(http::Status::ok, AnswerRecordJson(*record));
  }

  const AnswerRoutesDeps* deps = &d;
  ctx.stream = [deps, pending, id = ctx.request_id](http::StreamWriter& writer) {
    return StreamAnswer(deps, pending, id, writer);
  };
  co_return http::SseHead();
}

asio::awaitable<Response> PostFeedback(const AnswerRoutesDeps& d, RequestContext& ctx) {
  auto body = http::ReadBody(ctx.request, d.validator, "chat_feedback_request");
  if (!body.ok()) co_return Fail(ctx, body.error());
  FeedbackInput in;
  in.message_id = body->at("message_id").as_string();
  in.rating = body->at("feedback").as_string();
  if (auto* v = body->if_contains("comment")) in.comment = v->as_string();
  std::string session_id;
  if (auto* v = body->if_contains("session_id")) session_id = v->as_string();
  if (!http::BearerToken(ctx.request).empty()) {
    auto who = co_await d.guard.Authenticate(ctx);
    if (!who.ok()) co_return Fail(ctx, who.error());
    auto p = *who;
    auto job = [&d, p, in] { return d.feedback.FromAdmin(p, in); };
    auto r = co_await d.workers.Run(job);
    if (!r.ok()) co_return Fail(ctx, r.error());
    co_return http::JsonResponse(http::Status::ok, FeedbackJson(*r));
  }
  if (session_id.empty()) {
    co_return Fail(ctx, Error::InvalidArgument("the widget rates answers of its own session",
                                               {{"/session_id", "is required with an API key"}}));
  }
  if (!PlausibleSessionId(session_id)) co_return Fail(ctx, Error::NotFound("no such message"));
  auto access = co_await d.widget.Authenticate(ctx, "", session_id);
  if (!access.ok()) co_return Fail(ctx, access.error());
  std::string bot = access->chatbot.id;
  auto job = [&d, bot, session_id, in] { return d.feedback.FromWidget(bot, session_id, in); };
  auto r = co_await d.workers.Run(job);
  if (!r.ok()) co_return Fail(ctx, r.error());
  co_return http::JsonResponse(http::Status::ok, FeedbackJson(*r));
}

}  // namespace

void RegisterAnswerRoutes(http::Router& router, const AnswerRoutesDeps& deps) {
  const AnswerRoutesDeps* d = &deps;
  router.Add(http::Method::post, "/api/chat/message",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               co_return co_await PostMessage(*d, ctx);
             });
  router.MarkWidgetRoute("/api/chat/message");
  router.Add(http::Method::post, "/api/chat/feedback",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               co_return co_await PostFeedback(*d, ctx);
             });
  router.MarkWidgetRoute("/api/chat/feedback");
}

}  // namespace studybot::chat
