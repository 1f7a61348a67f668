// /api/chat: widget sessions (started with a publishable key) and their history; the admins'
// session list.
#pragma once

#include "auth/guard.h"
#include "chat/session_service.h"
#include "chatbots/widget_guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"

namespace studybot::chat {

struct ChatRoutesDeps {
  ChatSessionService& sessions;
  auth::Guard& guard;
  chatbots::WidgetGuard& widget;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterChatRoutes(http::Router& router, const ChatRoutesDeps& deps);

}  // namespace studybot::chat
