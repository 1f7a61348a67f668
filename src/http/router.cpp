#include "http/router.h"

#include <algorithm>
#include <stdexcept>

namespace studybot::http {
namespace {

std::vector<std::string_view> Parts(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment; false on a bad escape.
bool Decode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

}  // namespace

void Router::Add(Method method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  for (auto& r : routes_) {
    if (r.pattern == pattern) {
      for (const auto& [m, _] : r.handlers) {
        if (m == method) {
          throw std::invalid_argument("duplicate route " + std::string(pattern));
        }
      }
      r.handlers.emplace_back(method, std::move(handler));
      return;
    }
  }
  Route route;
  route.pattern = std::string(pattern);
  for (auto p : Parts(pattern)) {
    bool is_param = !p.empty() && p.front() == ':';
    route.segments.push_back({std::string(is_param ? p.substr(1) : p), is_param});
  }
  route.handlers.emplace_back(method, std::move(handler));
  routes_.push_back(std::move(route));
  // Literal segments win over parameters: "/api/chatbots/new" before "/api/chatbots/:id".
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    auto literals = [](const Route& r) {
      return std::count_if(r.segments.begin(), r.segments.end(),
                           [](const Segment& s) { return !s.is_param; });
    };
    return literals(a) > literals(b);
  });
}

Router::Route& Router::RouteOf(std::string_view pattern) {
  for (auto& r : routes_) {
    if (r.pattern == pattern) return r;
  }
  throw std::invalid_argument("no route " + std::string(pattern));
}

void Router::MarkUploadRoute(std::string_view pattern) {
  RouteOf(pattern).upload = true;
}

void Router::MarkWidgetRoute(std::string_view pattern) {
  RouteOf(pattern).widget = true;
}

bool Router::MatchSegments(const Route& route, const std::vector<std::string_view>& parts,
                           std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != parts.size()) return false;
  params->clear();
  std::string decoded;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!Decode(parts[i], &decoded)) return false;
    const auto& seg = route.segments[i];
    if (seg.is_param) {
      if (decoded.empty()) return false;
      params->emplace_back(seg.text, decoded);
    } else if (decoded != seg.text) {
      return false;
    }
  }
  return true;
}

Router::Match Router::Find(Method method, std::string_view path) const {
  Match m;
  auto parts = Parts(path);
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& route : routes_) {
    if (!MatchSegments(route, parts, &params)) continue;
    m.pattern = route.pattern;
    m.params = params;
    m.widget = route.widget;
    m.upload = route.upload;
    for (const auto& [rm, h] : route.handlers) {
      m.allowed.push_back(rm);
      if (rm == method || (method == Method::head && rm == Method::get)) m.handler = &h;
    }
    return m;
  }
  return m;
}

std::string Router::AllowHeader(const std::vector<Method>& methods) {
  std::vector<Method> all = methods;
  if (std::find(all.begin(), all.end(), Method::get) != all.end() &&
      std::find(all.begin(), all.end(), Method::head) == all.end()) {
    all.push_back(Method::head);
  }
  if (std::find(all.begin(), all.end(), Method::options) == all.end()) {
    all.push_back(Method::options);
  }
  std::string out;
  for (auto m : all) {
    if (!out.empty()) out += ", ";
    out += std::string(bhttp::to_string(m));
  }
  return out;
}

}  // namespace studybot::http
