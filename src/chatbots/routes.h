// /api/chatbots: the chatbot resource, and its public widget config.
#pragma once

#include "auth/guard.h"
#include "chatbots/service.h"
#include "chatbots/widget_guard.h"
#include "core/worker_pool.h"
#include "http/router.h"
#include "validation/validator.h"

namespace studybot::chatbots {

struct ChatbotRoutesDeps {
  ChatbotService& service;
  auth::Guard& guard;
  WidgetGuard& widget;
  WorkerPool& workers;
  const validation::Validator& validator;
};

// `deps` must outlive the router.
void RegisterChatbotRoutes(http::Router& router, const ChatbotRoutesDeps& deps);

}  // namespace studybot::chatbots
