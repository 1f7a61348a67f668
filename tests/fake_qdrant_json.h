// Request checking for FakeQdrantServer in the words Qdrant (serde) uses, and the pieces of its
// data model shared by the engine: point ids, filters, vectors. A check that fails throws a
// Refusal, caught once per request by FakeQdrantState (test code: it keeps every check a line).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace studybot::testing::fake_qdrant {

struct Refusal {
  unsigned status = 400;
  std::string message;
};

// 400 "Format error in JSON body: <what>".
[[noreturn]] void FormatError(const std::string& what);
// 400 "Wrong input: <what>".
[[noreturn]] void WrongInput(const std::string& what);
// 422 "Validation error in JSON body: [<what>]".
[[noreturn]] void Invalid(const std::string& what);
// 400 "Fake Qdrant does not implement <what>".
[[noreturn]] void Unimplemented(const std::string& what);

// serde's description of a JSON value ("string \"x\"", "integer `3`", "map"...).
std::string Describe(const boost::json::value& v);

const boost::json::object& AsObject(const boost::json::value& v, std::string_view what);
// Refuses fields outside `known` (serde's "unknown field `x`, expected one of ...").
void KnownFields(const boost::json::object& o, std::initializer_list<std::string_view> known);
// The field when present and not null.
const boost::json::value* Field(const boost::json::object& o, std::string_view key);
const boost::json::value& Required(const boost::json::object& o, std::string_view key);
uint64_t AsUint(const boost::json::value& v, uint64_t minimum = 0);
bool AsBool(const boost::json::value& v);
std::string AsString(const boost::json::value& v);
double AsNumber(const boost::json::value& v);
std::vector<float> AsFloats(const boost::json::value& v);
// A field that the fake does not implement must be absent or null.
void NotImplemented(const boost::json::object& o, std::initializer_list<std::string_view> keys);

// A point id: uint64 or UUID. `key` orders ids (numbers first) and names them in maps;
// `answer` is the id as Qdrant writes it back.
struct PointId {
  std::string key;
  boost::json::value answer;
};
PointId ParsePointId(const boost::json::value& v);

// A sparse vector {indices, values}: the map of index -> value.
std::map<uint32_t, float> ParseSparse(const boost::json::value& v);

// Checks a Filter. Refuses what the fake does not support.
void CheckFilter(const boost::json::value& filter);
// Whether a point (id key and payload) passes a checked filter.
bool Matches(const boost::json::value& filter, const std::string& id_key,
             const boost::json::object& payload);

}  // namespace studybot::testing::fake_qdrant
