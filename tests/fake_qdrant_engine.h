// The collections of FakeQdrantServer and the operations on them, apart from HTTP: each takes a
// request body (JSON text) and gives the `result` to answer or the error status and text that
// Qdrant would answer. See fake_qdrant_server.h for what is checked and how things are scored.
// Thread-safe (one lock around everything).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace studybot::testing {

struct FakeAnswer {
  unsigned status = 200;
  boost::json::value result;  // when status is 200
  std::string error;          // otherwise: the text of {"status": {"error": ...}}
};

class FakeQdrantState {
 public:
  FakeAnswer Exists(const std::string& name);
  FakeAnswer CreateCollection(const std::string& name, const std::string& body);
  FakeAnswer DeleteCollection(const std::string& name);
  FakeAnswer CreateIndex(const std::string& name, const std::string& body, bool wait);
  FakeAnswer Upsert(const std::string& name, const std::string& body, bool wait);
  FakeAnswer Delete(const std::string& name, const std::string& body, bool wait);
  FakeAnswer Query(const std::string& name, const std::string& body);
  FakeAnswer QueryBatch(const std::string& name, const std::string& body);

  bool HasCollection(const std::string& name);
  std::size_t PointCount(const std::string& name);
  std::map<std::string, std::string> PayloadIndexes(const std::string& name);
  std::string PayloadOf(const std::string& collection, const std::string& point_id);

  struct Point {
    boost::json::value id;  // as answered: number or lower-case hyphenated UUID
    std::map<std::string, std::vector<float>> dense;  // Cosine ones normalised
    std::map<std::string, std::map<uint32_t, float>> sparse;
    boost::json::object payload;
    uint64_t version = 0;
  };
  struct Collection {
    std::map<std::string, std::pair<uint64_t, std::string>> dense;  // name -> size, distance
    std::map<std::string, bool> sparse;                             // name -> idf modifier
    std::map<std::string, boost::json::value> indexes;              // field -> field_schema
    std::map<std::string, Point> points;                            // by SortKey of the id
  };

 private:
  template <typename F>
  FakeAnswer Guarded(const std::string& body, F&& f);
  Collection& Find(const std::string& name);  // REQUIRES: mu_ held; 404 if missing
  boost::json::object UpdateResult(bool wait);

  std::mutex mu_;
  std::map<std::string, Collection> collections_;  // REQUIRES: mu_ held
  uint64_t operation_id_ = 0;                      // REQUIRES: mu_ held
};

}  // namespace studybot::testing
