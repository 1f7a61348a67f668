// POST /api/chat/message (a question in, an answer out, as JSON or streamed as server-sent
// events) and POST /api/chat/feedback. Both are called by the widget (publishable key, allowed
// Origin, the per-key/IP/session limits) or by an admin with a Bearer token (trying a chatbot).
#pragma once

#include <chrono>

#include "auth/guard.h"
#include "chat/answer_service.h"
#include "chat/feedback_service.h"
#include "chatbots/service.h"
#include "chatbots/widget_guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"

namespace studybot::chat {

struct AnswerRoutesDeps {
  AnswerService& answers;
  FeedbackService& feedback;
  chatbots::ChatbotService& chatbots;
  auth::Guard& guard;
  chatbots::WidgetGuard& widget;
  WorkerPool& workers;
  const validation::Validator& validator;
  // A streamed answer sends a `: heartbeat` comment after this long without an event.
  std::chrono::milliseconds heartbeat{15'000};
};

// `deps` must outlive the router.
void RegisterAnswerRoutes(http::Router& router, const AnswerRoutesDeps& deps);

}  // namespace studybot::chat
