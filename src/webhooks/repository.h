// WebhookRepository: the SQL of webhooks and their deliveries. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::webhooks {

struct Webhook {
  std::string id;
  std::string chatbot_id;
  std::string url;
  std::vector<std::string> events;  // event names, or "*" for all
  std::string secret_hint;
  bool active = true;
  std::string created_by;
  std::string created_at;
  std::string updated_at;

  bool Wants(const std::string& event) const;
};

struct Delivery {
  std::string id;
  std::string webhook_id;
  std::string event;
  std::string payload;
  std::string status = "pending";  // pending | succeeded | failed
  int64_t attempts = 0;
  std::string next_attempt_at;
  std::optional<int64_t> response_status;
  std::string last_error;
  std::string created_at;
  std::string delivered_at;
};

// A claimed delivery with what is needed to send it.
struct DueDelivery {
  Delivery delivery;
  std::string url;
  std::string secret_sealed;
};

class WebhookRepository {
 public:
  explicit WebhookRepository(storage::Database& db) : db_(db) {}

  Status Insert(const Webhook& hook, const std::string& secret_sealed);
  Result<std::vector<Webhook>> List(const std::string& chatbot_id);
  Result<std::optional<Webhook>> Find(const std::string& chatbot_id, const std::string& id);
  // Writes url, events, active and updated_at; kNotFound when gone.
  Status Update(const Webhook& hook);
  Status SetSecret(const std::string& id, const std::string& sealed, const std::string& hint,
                   const std::string& updated_at);
  // kNotFound when absent. Its deliveries go with it.
  Status Delete(const std::string& chatbot_id, const std::string& id);

  Status InsertDelivery(const Delivery& delivery);
  // Claims up to `limit` pending deliveries due at `now` by moving their next attempt to
  // `lease_until`, so that no other deliverer (thread or process) sends them meanwhile; a
  // deliverer that dies leaves them to be retried after the lease.
  Result<std::vector<DueDelivery>> ClaimDue(const std::string& now, const std::string& lease_until,
                                            int limit);
  // Records the outcome of one attempt (status, attempts, next attempt, response, error).
  Status SaveAttempt(const Delivery& delivery);
  // Newest first.
  Result<std::vector<Delivery>> ListDeliveries(const std::string& webhook_id, int limit);

  // (id, sealed secret) of every webhook, for key rotation.
  Result<std::vector<std::pair<std::string, std::string>>> SealedSecrets();
  // Replaces a sealed secret only if it is still `old_sealed`; returns rows changed.
  Result<int64_t> ReplaceSealed(const std::string& id, const std::string& old_sealed,
                                const std::string& new_sealed);

 private:
  storage::Database& db_;
};

}  // namespace studybot::webhooks
