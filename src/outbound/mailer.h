// Mailer: sends one plain-text e-mail. Blocking (call it from the worker pool); implementations
// are thread-safe.
#pragma once

#include <string>

#include "core/result.h"

namespace studybot::outbound {

struct MailMessage {
  std::string to;
  std::string subject;
  std::string text_body;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // kInvalidArgument for unusable addresses or headers, kUnavailable when the server cannot be
  // reached or refuses the message. Messages never contain credentials.
  virtual Status Send(const MailMessage& message) = 0;
};

}  // namespace studybot::outbound
