// ApiKeyService: chatbot API keys and the widget's access check.
//
// Keys are "pk_..." (publishable, used by the widget in browsers: only from the chatbot's allowed
// origins) or "sk_..." (secret, server to server: no origin check). The full key is returned once,
// at creation; afterwards only its prefix. Revocation and expiry take effect on the next request.
// Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/api_key_repository.h"
#include "chatbots/service.h"

namespace studybot::chatbots {

struct NewApiKey {
  std::string name;
  std::string kind;                       // publishable | secret
  std::optional<std::string> expires_at;  // RFC 3339, in the future
};

struct CreatedApiKey {
  auth::ApiKey key;
  std::string plaintext;  // shown once
};

// What a widget request is allowed to do after its key and origin were checked.
struct WidgetAccess {
  auth::ApiKey key;
  Chatbot chatbot;
  // The request's Origin when it was checked against the allowlist ("" for secret keys): the
  // origin that gets CORS headers.
  std::string allowed_origin;
};

class ApiKeyService {
 public:
  ApiKeyService(auth::ApiKeyRepository& keys, ChatbotRepository& bots, ChatbotService& chatbots,
                auth::AuditLog& audit, const Clock& clock, EventSink* events = nullptr)
      : keys_(keys),
        bots_(bots),
        chatbots_(chatbots),
        audit_(audit),
        clock_(clock),
        events_(events) {}

  // kPermissionDenied when `who` may not manage the chatbot's API keys (checked before a body is
  // read).
  Status CheckAccess(const auth::Principal& who, const std::string& chatbot_id) {
    return chatbots_.CheckAccess(who, chatbot_id);
  }
  Result<CreatedApiKey> Create(const auth::Principal& who, const std::string& chatbot_id,
                               const NewApiKey& in, const auth::ClientInfo& client);
  Result<std::vector<auth::ApiKey>> List(const auth::Principal& who, const std::string& chatbot_id);
  Status Revoke(const auth::Principal& who, const std::string& chatbot_id, const std::string& id,
                const auth::ClientInfo& client);

  // Checks `raw_key` (X-Api-Key) for `chatbot_id` ("" when the route does not name one): known,
  // not revoked, not expired, chatbot active; for pk_ keys the Origin (or, without one, the
  // Referer's origin) must match the chatbot's allowed domains. kUnauthenticated for a bad key,
  // kPermissionDenied for a foreign origin or another chatbot's key.
  Result<WidgetAccess> Authenticate(const std::string& raw_key, const std::string& chatbot_id,
                                    const std::string& origin, const std::string& referer);

 private:
  auth::ApiKeyRepository& keys_;
  ChatbotRepository& bots_;
  ChatbotService& chatbots_;
  auth::AuditLog& audit_;
  const Clock& clock_;
  EventSink* events_;  // may be null
};

boost::json::object ApiKeyJson(const auth::ApiKey& key);

}  // namespace studybot::chatbots
