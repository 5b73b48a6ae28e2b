#include <algorithm>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <cairn/agent/http_server.h>

namespace cairn::agent {

std::optional<std::string> HttpRequest::Query(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(boost::beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return "";
  return std::string(it->value());
}

HttpResponse HttpResponse::Json(const boost::json::value& v, bool pretty, unsigned status) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  if (!pretty) {
    r.body = boost::json::serialize(v);
    return r;
  }
  // Go's json.MarshalIndent(v, "", "    ") plus the newline Consul appends.
  std::string out;
  auto indent = [&](int depth) { out.append(static_cast<std::size_t>(depth) * 4, ' '); };
  std::function<void(const boost::json::value&, int)> write = [&](const boost::json::value& x,
                                                                  int depth) {
    if (x.is_object() && !x.get_object().empty()) {
      out += "{\n";
      bool first = true;
      for (const auto& kv : x.get_object()) {
        if (!first) out += ",\n";
        first = false;
        indent(depth + 1);
        out += boost::json::serialize(boost::json::string(kv.key()));
        out += ": ";
        write(kv.value(), depth + 1);
      }
      out += "\n";
      indent(depth);
      out += "}";
    } else if (x.is_array() && !x.get_array().empty()) {
      out += "[\n";
      bool first = true;
      for (const auto& e : x.get_array()) {
        if (!first) out += ",\n";
        first = false;
        indent(depth + 1);
        write(e, depth + 1);
      }
      out += "\n";
      indent(depth);
      out += "]";
    } else {
      out += boost::json::serialize(x);
    }
  };
  write(v, 0);
  out += "\n";
  r.body = std::move(out);
  return r;
}

HttpResponse HttpResponse::Text(unsigned status, std::string message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(message);
  return r;
}

HttpResponse HttpResponse::Empty(unsigned status) {
  HttpResponse r;
  r.status = status;
  return r;
}

void Router::Handle(std::string path, std::vector<Method> methods, Handler handler) {
  routes_.push_back({std::move(path), false, std::move(methods), std::move(handler)});
}

void Router::HandlePrefix(std::string prefix, std::vector<Method> methods, Handler handler) {
  routes_.push_back({std::move(prefix), true, std::move(methods), std::move(handler)});
}

const Router::Route* Router::Find(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.prefix) {
      if (r.path == path) return &r;
      continue;
    }
    if (path.substr(0, r.path.size()) == r.path &&
        (best == nullptr || r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

void Router::Dispatch(HttpRequest& request, std::shared_ptr<HttpExchange> exchange) const {
  // Consul refuses control characters in the decoded path (an encoded line feed could
  // split log lines or smuggle a key).
  if (std::any_of(request.path.begin(), request.path.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    exchange->Reply(HttpResponse::Text(400, "Invalid URL path: contains non-printable characters"));
    return;
  }
  const Route* route = Find(request.path);
  if (route == nullptr) {
    exchange->Reply(HttpResponse::Text(
        404, request.path.find("/v1/") != std::string::npos
                 ? "Invalid URL path: not a recognized HTTP API endpoint"
                 : "Invalid URL path: if attempting to use the HTTP API, ensure the path "
                   "starts with '/v1/'"));
    return;
  }
  std::string allow = "OPTIONS";
  for (Method m : route->methods) {
    allow += ",";
    allow += std::string(boost::beast::http::to_string(m));
  }
  if (request.method == Method::options) {
    exchange->Reply(HttpResponse::Empty(200).With("Allow", allow));
    return;
  }
  bool allowed =
      std::find(route->methods.begin(), route->methods.end(), request.method) !=
          route->methods.end() ||
      (request.method == Method::head && std::find(route->methods.begin(), route->methods.end(),
                                                   Method::get) != route->methods.end());
  if (!allowed) {
    exchange->Reply(
        HttpResponse::Text(405,
                           fmt::format("method {} not allowed",
                                       std::string(boost::beast::http::to_string(request.method))))
            .With("Allow", allow));
    return;
  }
  if (route->prefix) request.route_rest = request.path.substr(route->path.size());
  route->handler(request, std::move(exchange));
}

}  // namespace cairn::agent
