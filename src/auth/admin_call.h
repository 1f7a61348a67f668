// AdminCall: the shape shared by the admin routes, in one place. It authenticates the bearer
// token (Guard: 401, per-user rate limit), optionally reads and validates the JSON body, runs the
// blocking `work` (a service call) on the worker pool, and answers the error envelope or
// `respond(value)`.
//
//   return auth::AdminCall(d->guard, d->workers, ctx,
//       [d, id](const Principal& p) { return d->service.Get(p, id); },
//       [](const Thing& t) { return http::JsonResponse(http::Status::ok, ThingJson(t)); });
//
// `work` returns Result<T> (then `respond` takes the T) or Status (then `respond` takes nothing).
// Both are kept in the coroutine frame; the job handed to the pool captures only references, as
// WorkerPool::Run requires.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "auth/guard.h"
#include "core/worker_pool.h"
#include "http/request_body.h"
#include "http/responses.h"
#include "validation/validator.h"

namespace studybot::auth {

// For AdminCallWithBody on routes that name no resource (the body says which, and the service
// checks it).
struct NoResourceCheck {};

namespace internal {

template <typename R, typename Respond>
http::Response Answer(const http::RequestContext& ctx, R& result, Respond& respond) {
  if (!result.ok()) return http::Fail(ctx, result.error());
  if constexpr (std::is_same_v<R, Status>) {
    return respond();
  } else {
    return respond(std::move(result).value());
  }
}

}  // namespace internal

template <typename Work, typename Respond>
boost::asio::awaitable<http::Response> AdminCall(Guard& guard, WorkerPool& workers,
                                                 http::RequestContext& ctx, Work work,
                                                 Respond respond) {
  auto who = co_await guard.Authenticate(ctx);
  if (!who.ok()) co_return http::Fail(ctx, who.error());
  const Principal& p = *who;
  auto job = [&work, &p] { return work(p); };
  auto result = co_await workers.Run(job);
  co_return internal::Answer(ctx, result, respond);
}

// The same for routes with a JSON body valid against `schema`; `work` gets (principal, body).
// `check` (Status(const Principal&), blocking) runs before the body is read: a route that names
// a resource answers 403/404 for someone else's resource without looking at the body, so a
// hostile body costs nothing there. Routes that name no resource pass NoResourceCheck().
template <typename Check, typename Work, typename Respond>
boost::asio::awaitable<http::Response> AdminCallWithBody(Guard& guard, WorkerPool& workers,
                                                         const validation::Validator& validator,
                                                         http::RequestContext& ctx,
                                                         std::string_view schema, Check check,
                                                         Work work, Respond respond) {
  auto who = co_await guard.Authenticate(ctx);
  if (!who.ok()) co_return http::Fail(ctx, who.error());
  const Principal& p = *who;
  if constexpr (!std::is_same_v<Check, NoResourceCheck>) {
    auto check_job = [&check, &p] { return check(p); };
    Status allowed = co_await workers.Run(check_job);
    if (!allowed.ok()) co_return http::Fail(ctx, allowed.error());
  }
  auto body = http::ReadBody(ctx.request, validator, schema);
  if (!body.ok()) co_return http::Fail(ctx, body.error());
  const boost::json::object& in = *body;
  auto job = [&work, &p, &in] { return work(p, in); };
  auto result = co_await workers.Run(job);
  co_return internal::Answer(ctx, result, respond);
}

}  // namespace studybot::auth
