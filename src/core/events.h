// EventSink: where features announce what happened to a chatbot ("api_key.created",
// "scraping.completed"...); webhooks subscribe to these. Publishing never fails the caller's
// operation: a sink records the event and delivers it later, and logs its own failures.
// Blocking (may write to the database); thread-safe.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace studybot {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `data` must hold no secrets: it leaves the server.
  virtual void Publish(const std::string& chatbot_id, const std::string& event,
                       boost::json::object data) = 0;
};

// Forwards to a sink attached after construction: lets the composition root give features an
// EventSink before the sink (which may depend on those features) exists. Attach before serving.
class EventRelay final : public EventSink {
 public:
  void Attach(EventSink* sink) { sink_ = sink; }
  void Publish(const std::string& chatbot_id, const std::string& event,
               boost::json::object data) override {
    if (sink_ != nullptr) sink_->Publish(chatbot_id, event, std::move(data));
  }

 private:
  EventSink* sink_ = nullptr;
};

}  // namespace studybot
