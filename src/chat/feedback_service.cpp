#include "chat/feedback_service.h"

#include "core/ids.h"
#include "core/strings.h"

namespace studybot::chat {

boost::json::object FeedbackJson(const FeedbackResult& f) {
  boost::json::object o{{"message_id", f.message_id},
                        {"feedback", f.rating},
                        {"replaced", f.replaced},
                        {"created_at", f.created_at}};
  o["comment"] = f.comment.empty() ? boost::json::value(nullptr) : boost::json::value(f.comment);
  return o;
}

Result<FeedbackResult> FeedbackService::Record(const MessageRef& message, const FeedbackInput& in,
                                               const std::string& user_id) {
  if (message.type != "bot") {
    return Error::InvalidArgument("only answers can be rated",
                                  {{"/message_id", "names a visitor's message, not an answer"}});
  }
  FeedbackRecord f;
  f.id = NewUuid();
  f.message = message;
  f.rating = in.rating;
  f.comment = CleanUtf8(Trim(in.comment), 8000);
  f.created_at = FormatRfc3339Millis(clock_.Now());
  f.event = {NewUuid(),
             "feedback_given",
             user_id,
             f.created_at,
             {{"message_id", message.id},
              {"feedback", f.rating},
              {"has_comment", !f.comment.empty()},
              {"source", user_id.empty() ? "widget" : "admin"}}};
  auto replaced = messages_.SetFeedback(f);
  if (!replaced.ok()) return replaced.error();
  FeedbackResult r{message.id, f.rating, f.comment, *replaced, f.created_at};
  if (events_ != nullptr) {
    events_->Publish(message.chatbot_id, "chat.feedback",
                     {{"session_id", message.session_id},
                      {"message_id", message.id},
                      {"feedback", f.rating},
                      {"comment", f.comment},
                      {"replaced", r.replaced},
                      {"created_at", f.created_at}});
  }
  return r;
}

Result<FeedbackResult> FeedbackService::FromWidget(const std::string& chatbot_id,
                                                   const std::string& session_id,
                                                   const FeedbackInput& in) {
  auto m = messages_.FindMessage(in.message_id);
  if (!m.ok()) return m.error();
  if (!*m || (*m)->chatbot_id != chatbot_id || (*m)->session_id != session_id) {
    return Error::NotFound("no such message in this chat session");
  }
  return Record(**m, in, "");
}

Result<FeedbackResult> FeedbackService::FromAdmin(const auth::Principal& who,
                                                  const FeedbackInput& in) {
  auto m = messages_.FindMessage(in.message_id);
  if (!m.ok()) return m.error();
  if (!*m) return Error::NotFound("no such message");
  auto access = chatbots_.CheckAccess(who, (*m)->chatbot_id);
  if (!access.ok()) return access.error();
  return Record(**m, in, who.user_id);
}

}  // namespace studybot::chat
