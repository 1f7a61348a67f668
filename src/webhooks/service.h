// WebhookService: a chatbot's outgoing webhooks (who may manage them, their signing secrets) and
// the EventSink that turns published events into deliveries for the deliverer to send.
//
// Secrets are "whsec_" + 32 random bytes, shown once (at creation and rotation), stored sealed
// under the encryption key and opened only to sign a delivery. Blocking; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "chatbots/service.h"
#include "core/events.h"
#include "core/log.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "webhooks/repository.h"

namespace studybot::webhooks {

// Events a webhook may subscribe to ("*" subscribes to all of them).
const std::vector<std::string>& KnownEvents();

struct WebhookInput {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<bool> active;
};

struct WebhookWithSecret {
  Webhook webhook;
  std::string secret;  // shown once
};

class WebhookService final : public EventSink {
 public:
  // `wake` is called after deliveries were queued (the deliverer sends them at once).
  WebhookService(WebhookRepository& hooks, chatbots::ChatbotService& chatbots, const SecretBox& box,
                 auth::AuditLog& audit, const Clock& clock, Logger& logger,
                 std::function<void()> wake = {})
      : hooks_(hooks),
        chatbots_(chatbots),
        box_(box),
        audit_(audit),
        clock_(clock),
        logger_(logger),
        wake_(std::move(wake)) {}

  Result<WebhookWithSecret> Create(const auth::Principal& who, const std::string& chatbot_id,
                                   const WebhookInput& in, const auth::ClientInfo& client);
  Result<std::vector<Webhook>> List(const auth::Principal& who, const std::string& chatbot_id);
  // kPermissionDenied when `who` may not manage the chatbot's webhooks (checked before a body is
  // read).
  Status CheckAccess(const auth::Principal& who, const std::string& chatbot_id) {
    return chatbots_.CheckAccess(who, chatbot_id);
  }
  Result<Webhook> Get(const auth::Principal& who, const std::string& chatbot_id,
                      const std::string& id);
  Result<Webhook> Update(const auth::Principal& who, const std::string& chatbot_id,
                         const std::string& id, const WebhookInput& in,
                         const auth::ClientInfo& client);
  Status Delete(const auth::Principal& who, const std::string& chatbot_id, const std::string& id,
                const auth::ClientInfo& client);
  // A new secret; the old one stops signing at once.
  Result<WebhookWithSecret> RotateSecret(const auth::Principal& who, const std::string& chatbot_id,
                                         const std::string& id, const auth::ClientInfo& client);
  // Queues a "webhook.test" event to this webhook only (even when inactive).
  Result<Delivery> SendTest(const auth::Principal& who, const std::string& chatbot_id,
                            const std::string& id);
  Result<std::vector<Delivery>> Deliveries(const auth::Principal& who,
                                           const std::string& chatbot_id, const std::string& id,
                                           int limit);

  // EventSink: one delivery per active webhook of the chatbot that wants the event.
  void Publish(const std::string& chatbot_id, const std::string& event,
               boost::json::object data) override;

  // Re-seals every webhook secret not sealed under the current key; returns how many.
  Result<int> RotateAll();

 private:
  Result<Webhook> Load(const auth::Principal& who, const std::string& chatbot_id,
                       const std::string& id);
  Result<Delivery> Queue(const Webhook& hook, const std::string& event,
                         const boost::json::object& data);
  void Audit(const auth::Principal& who, const auth::ClientInfo& client, const std::string& action,
             const Webhook& hook, boost::json::object summary);

  WebhookRepository& hooks_;
  chatbots::ChatbotService& chatbots_;
  const SecretBox& box_;
  auth::AuditLog& audit_;
  const Clock& clock_;
  Logger& logger_;
  std::function<void()> wake_;
};

// Associated data of a webhook's sealed secret: binds it to its row.
std::string SecretPlace(const std::string& webhook_id);

boost::json::object WebhookJson(const Webhook& hook);
boost::json::object DeliveryJson(const Delivery& delivery);

}  // namespace studybot::webhooks
