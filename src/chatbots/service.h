// ChatbotService: the chatbot resource and who may touch it. System admins see and change every
// chatbot; bot admins only those they are members of (403 on the others; creation and deletion
// are for system admins). Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "auth/principal.h"
#include "auth/user_repository.h"
#include "chatbots/origin_pattern.h"
#include "chatbots/repository.h"
#include "chatbots/secret_store.h"
#include "core/events.h"

namespace studybot::chatbots {

struct ChatbotInput {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> status;
  std::optional<std::vector<std::string>> allowed_domains;
  std::optional<boost::json::object> widget;     // merged into the current look
  std::optional<boost::json::object> knowledge;  // merged into the current settings
  std::optional<boost::json::object> answers;    // likewise
  std::optional<std::string> system_prompt;
  std::optional<std::map<std::string, RateOverride>> rate_limits;  // replaces the overrides
  // name -> value to set, or nullopt to remove.
  std::optional<std::map<std::string, std::optional<std::string>>> secrets;
};

struct ChatbotPage {
  std::vector<Chatbot> items;
  std::string next_cursor;
};

// The widget's public configuration and its ETag.
struct WidgetConfig {
  boost::json::object body;
  std::string etag;
};

// What the knowledge feature does when a chatbot's knowledge settings change (re-index it), and
// what it adds to the chatbot's JSON (its embedder and re-index progress). Set by Application.
class KnowledgeObserver {
 public:
  virtual ~KnowledgeObserver() = default;
  // After `bot` was stored; `before` is nullopt for a new chatbot. Failures are the observer's to
  // log: the settings are stored either way and a later change or restart tries again.
  virtual void KnowledgeChanged(const Chatbot& bot,
                                const std::optional<KnowledgeSettings>& before) = 0;
  // The chatbot's `knowledge_status` object.
  virtual boost::json::object KnowledgeStatus(const Chatbot& bot) = 0;
};

class ChatbotService {
 public:
  ChatbotService(ChatbotRepository& bots, SecretStore& secrets, auth::UserRepository& users,
                 auth::AuditLog& audit, const Clock& clock, EventSink* events = nullptr)
      : bots_(bots),
        secrets_(secrets),
        users_(users),
        audit_(audit),
        clock_(clock),
        events_(events) {}

  Result<ChatbotPage> List(const auth::Principal& who, int limit, const std::string& cursor);
  // The chatbot with its secret hints.
  Result<Chatbot> Get(const auth::Principal& who, const std::string& id);
  // The chatbot without its secret hints (one query fewer), for access checks.
  Result<Chatbot> Find(const auth::Principal& who, const std::string& id);
  Result<Chatbot> Create(const auth::Principal& who, const ChatbotInput& in,
                         const auth::ClientInfo& client);
  Result<Chatbot> Update(const auth::Principal& who, const std::string& id, const ChatbotInput& in,
                         const auth::ClientInfo& client);
  Status Delete(const auth::Principal& who, const std::string& id, const auth::ClientInfo& client);

  // kNotFound for unknown or disabled chatbots.
  Result<WidgetConfig> PublicConfig(const std::string& id);

  // kNotFound when absent, kPermissionDenied when `who` may not touch it.
  Status CheckAccess(const auth::Principal& who, const std::string& id);

  // Set once, before serving. May be null.
  void SetKnowledgeObserver(KnowledgeObserver* observer) { knowledge_ = observer; }

 private:
  void Audit(const auth::Principal& who, const auth::ClientInfo& client, const std::string& action,
             const std::string& id, boost::json::object summary);

  Status ApplySecrets(const std::string& id, const ChatbotInput& in);
  Status LoadSecrets(Chatbot& bot);
  // Writes what lives beside the chatbot row (rate limit overrides, secrets) and reloads the
  // secret hints into `b`.
  Status SaveExtras(Chatbot& b, const ChatbotInput& in);

  ChatbotRepository& bots_;
  SecretStore& secrets_;
  auth::UserRepository& users_;
  auth::AuditLog& audit_;
  const Clock& clock_;
  EventSink* events_;  // may be null
  KnowledgeObserver* knowledge_ = nullptr;
};

boost::json::object ChatbotJson(const Chatbot& bot);
// The widget look with defaults filled in.
boost::json::object WidgetLook(const Chatbot& bot);

}  // namespace studybot::chatbots
