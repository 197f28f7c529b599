// Storage of monitoring objects, their steps and clues (0003_objects.sql),
// and the lossless conversion between lifecycle::MonitoringObject and its
// protobuf form. Store functions run inside the caller's transaction.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/monitoring/domain/lifecycle.h"
#include "services/monitoring/domain/lifecycle_proto.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace zx::monitoring {

// Enum mapping (domain <-> wire): services/monitoring/domain/lifecycle_proto.h.

// ---- Object <-> proto ----------------------------------------------------------
// The API view of `object` (deadlines not filled: they depend on the clock).
v1::MonitoringObject ToApi(const std::string& object_id, const lifecycle::MonitoringObject& object);
v1::HistoryStep ToApi(const std::string& object_id, int sequence, const lifecycle::Step& step);
v1::Deadline ToApi(const lifecycle::Deadline& deadline);

// The full object, history included; FromSnapshot(ToSnapshot(id, o)) == o.
v1::MonitoringObjectSnapshot ToSnapshot(const std::string& object_id,
                                        const lifecycle::MonitoringObject& object);
// INVALID_ARGUMENT when the snapshot is not a valid object.
absl::StatusOr<lifecycle::MonitoringObject> FromSnapshot(const v1::MonitoringObjectSnapshot& s);

// ---- Storage ---------------------------------------------------------------------

struct StoredObject {
  std::string object_id;
  lifecycle::MonitoringObject object;
};

// The household's open object (state other than closed_no_risk), locked for
// update until the transaction ends; nullopt when there is none. INTERNAL if
// the stored snapshot cannot be read.
absl::StatusOr<std::optional<StoredObject>> LockOpenObject(pqxx::transaction_base& tx,
                                                           const std::string& household_id);

// The open object, else the most recent closed one; nullopt when the
// household never had one. Not locked.
absl::StatusOr<std::optional<StoredObject>> FindLatestObject(pqxx::transaction_base& tx,
                                                             const std::string& household_id);

// Inserts a new object (and its steps, if any). Returns false, writing
// nothing, when the household already has an open object (a concurrent
// clue won); the caller then locks that one.
bool InsertObjectIfNoneOpen(pqxx::transaction_base& tx, const StoredObject& stored,
                            std::optional<absl::Time> next_due_at, const std::string& request_id,
                            absl::Time now);

// Saves `stored` after lifecycle::Apply and appends its history steps from
// index `previous_steps` on to object_steps.
void SaveObject(pqxx::transaction_base& tx, const StoredObject& stored, std::size_t previous_steps,
                std::optional<absl::Time> next_due_at, const std::string& request_id,
                absl::Time now);

void InsertClue(pqxx::transaction_base& tx, const v1::Clue& clue, const std::string& request_id);

// Every step of every object of the household, oldest first.
std::vector<v1::HistoryStep> ListSteps(pqxx::transaction_base& tx, const std::string& household_id);
// Every clue of the household, oldest first.
std::vector<v1::Clue> ListClues(pqxx::transaction_base& tx, const std::string& household_id);

}  // namespace zx::monitoring
