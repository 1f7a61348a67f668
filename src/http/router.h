// Router: maps a method and a path to a handler. Patterns are literal segments and `:name`
// parameters ("/api/chatbots/:id/config"). A path that matches no pattern is a 404; a path that
// matches with another method is a 405 whose Allow header lists the methods that would work.
// HEAD is served by the GET handler; OPTIONS is answered by the pipeline.
//
// Routes are added at start-up, then the router is only read: reads are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/types.h"

namespace studybot::http {

class Router {
 public:
  void Add(Method method, std::string_view pattern, Handler handler);
  // Marks a pattern as called by the embeddable widget from customers' sites: its preflights
  // are answered for any origin (the real request is then checked against the chatbot's allowed
  // domains by its handler, which also sets the CORS headers).
  void MarkWidgetRoute(std::string_view pattern);
  // Marks a pattern whose POST takes multipart/form-data uploads: such bodies may be as large as
  // http.upload_limit instead of http.body_limit.
  void MarkUploadRoute(std::string_view pattern);

  struct Match {
    const Handler* handler = nullptr;  // null when not found or method not allowed
    std::string_view pattern;          // the pattern that matched the path, "" when none did
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<Method> allowed;  // methods registered for the pattern (for 405 and OPTIONS)
    bool widget = false;          // see MarkWidgetRoute
    bool upload = false;          // see MarkUploadRoute
  };
  Match Find(Method method, std::string_view path) const;

  // "GET, HEAD, POST, OPTIONS" for a list of methods.
  static std::string AllowHeader(const std::vector<Method>& methods);

 private:
  struct Segment {
    std::string text;
    bool is_param;
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::vector<std::pair<Method, Handler>> handlers;
    bool widget = false;
    bool upload = false;
  };
  // The route registered with exactly `pattern`; throws std::invalid_argument when none is.
  Route& RouteOf(std::string_view pattern);
  static bool MatchSegments(const Route& route, const std::vector<std::string_view>& parts,
                            std::vector<std::pair<std::string, std::string>>* params);

  std::vector<Route> routes_;
};

}  // namespace studybot::http
