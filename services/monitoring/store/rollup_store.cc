#include "services/monitoring/store/rollup_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/object_store.h"
#include "zx/monitoring/v1/lifecycle.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

struct FactsRow {
  std::string household_id;
  std::string village_code;
  HouseholdFacts facts;
};

// One query for the facts of many households; `where` filters `h`.
constexpr char kFactsQuery[] =
    "SELECT h.household_id, h.village_code, h.category, h.relocated, h.member_count, "
    "c.colour, c.per_capita_fen, c.previous_per_capita_fen, o.state, o.object_type, o.snapshot "
    "FROM households h LEFT JOIN household_colours c USING (household_id) "
    "LEFT JOIN LATERAL (SELECT m.state, m.object_type, m.snapshot FROM monitoring_objects m "
    "  WHERE m.household_id = h.household_id "
    "  ORDER BY (m.state <> 'closed_no_risk') DESC, m.created_at DESC, m.object_id LIMIT 1) o "
    "ON true WHERE ";

RollupColour ColourOf(const pqxx::field& f) {
  if (f.is_null()) return RollupColour::kUnassessed;
  switch (static_cast<v1::Colour>(f.as<int>())) {
    case v1::COLOUR_RED:
      return RollupColour::kRed;
    case v1::COLOUR_ORANGE:
      return RollupColour::kOrange;
    case v1::COLOUR_YELLOW:
      return RollupColour::kYellow;
    case v1::COLOUR_GREEN:
      return RollupColour::kGreen;
    default:
      return RollupColour::kUnassessed;
  }
}

std::optional<int64_t> OptionalFen(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

absl::StatusOr<FactsRow> FactsFromRow(const pqxx::row& row) {
  FactsRow out;
  out.household_id = row[0].as<std::string>();
  out.village_code = row[1].as<std::string>();
  HouseholdFacts& f = out.facts;
  f.lifted = row[2].as<int>() == v1::HOUSEHOLD_CATEGORY_LIFTED;
  f.relocated = row[3].as<bool>();
  f.members = row[4].as<int>();
  f.colour = ColourOf(row[5]);
  f.per_capita_fen = OptionalFen(row[6]);
  f.previous_per_capita_fen = OptionalFen(row[7]);
  if (!row[8].is_null()) {
    auto state = lc::ParseState(row[8].as<std::string>());
    if (!state.ok())
      return absl::DataLossError(absl::StrCat(out.household_id, ": ", state.status().message()));
    HouseholdFacts::Object object;
    object.state = *state;
    if (!row[9].is_null()) {
      auto type = lc::ParseObjectType(row[9].as<std::string>());
      if (!type.ok())
        return absl::DataLossError(absl::StrCat(out.household_id, ": ", type.status().message()));
      object.type = *type;
    }
    // Risk types are only counted for objects under assistance: read the
    // snapshot only then.
    if (IsMonitored(object.state)) {
      v1::MonitoringObjectSnapshot snapshot;
      if (!snapshot.ParseFromString(pqxx::binarystring(row[10]).str())) {
        return absl::DataLossError(
            absl::StrCat("unreadable object snapshot of ", out.household_id));
      }
      for (int risk : snapshot.object().risk_types()) {
        if (auto r = FromProto(static_cast<v1::RiskType>(risk))) object.risk_types.push_back(*r);
      }
    }
    f.object = std::move(object);
  }
  return out;
}

// (village, key) -> delta, applied in one statement.
using Deltas = std::map<std::pair<std::string, std::string>, int64_t>;

void AddDeltas(Deltas& deltas, const std::string& village, const RollupCounters& c, int sign) {
  for (const auto& [key, value] : c) deltas[{village, key}] += sign * value;
}

void InsertDeltas(pqxx::transaction_base& tx, const Deltas& deltas) {
  std::vector<std::string> villages, keys, values;
  for (const auto& [where, delta] : deltas) {
    if (delta == 0) continue;
    villages.push_back(where.first);
    keys.push_back(where.second);
    values.push_back(std::to_string(delta));
  }
  if (villages.empty()) return;
  pg::ExecPrepared(tx, "zx_insert_deltas",
                   "INSERT INTO rollup_deltas (village_code, key, delta) "
                   "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])",
                   pg::ArrayLiteral(villages), pg::ArrayLiteral(keys), pg::ArrayLiteral(values));
}

RollupCounters SumRows(const pqxx::result& rows) {
  RollupCounters out;
  for (const auto& row : rows) {
    const int64_t value = row[1].as<int64_t>();
    if (value != 0) out[row[0].as<std::string>()] = value;
  }
  return out;
}

}  // namespace

absl::Status RefreshRollup(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  const std::string array = pg::ArrayLiteral(ids);
  // Lock the households' contribution rows first (in id order, so batches
  // never deadlock), then read the facts: a concurrent refresh of the same
  // household waits here and then sees this one's committed result.
  pg::ExecPrepared(
      tx, "zx_rollup_ensure",
      "INSERT INTO household_rollup (household_id, village_code, contribution) "
      "SELECT household_id, village_code, '' FROM households WHERE household_id = ANY($1::text[]) "
      "ORDER BY household_id ON CONFLICT (household_id) DO NOTHING",
      array);
  std::map<std::string, std::pair<std::string, std::string>> last;  // id -> (village, contribution)
  for (const auto& row :
       pg::ExecPrepared(tx, "zx_rollup_lock",
                        "SELECT household_id, village_code, contribution FROM household_rollup "
                        "WHERE household_id = ANY($1::text[]) ORDER BY household_id FOR UPDATE",
                        array)) {
    last[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  }
  Deltas deltas;
  std::vector<std::string> changed_ids, changed_villages, changed_contributions;
  for (const auto& row :
       pg::ExecPrepared(tx, "zx_rollup_facts",
                        absl::StrCat(kFactsQuery, "h.household_id = ANY($1::text[])"), array)) {
    auto facts = FactsFromRow(row);
    if (!facts.ok()) return facts.status();
    const RollupCounters now = Contribution(facts->facts);
    const std::string encoded = EncodeCounters(now);
    const auto& [old_village, old_encoded] = last[facts->household_id];
    if (old_village == facts->village_code && old_encoded == encoded) continue;
    auto before = DecodeCounters(old_encoded);
    if (!before.ok()) return before.status();
    AddDeltas(deltas, old_village, *before, -1);
    AddDeltas(deltas, facts->village_code, now, +1);
    changed_ids.push_back(facts->household_id);
    changed_villages.push_back(facts->village_code);
    changed_contributions.push_back(encoded);
  }
  if (changed_ids.empty()) return absl::OkStatus();
  InsertDeltas(tx, deltas);
  pg::ExecPrepared(
      tx, "zx_rollup_update",
      "UPDATE household_rollup r SET village_code = u.village_code, contribution = u.contribution "
      "FROM unnest($1::text[], $2::text[], $3::text[]) AS u(household_id, village_code, "
      "contribution) WHERE r.household_id = u.household_id",
      pg::ArrayLiteral(changed_ids), pg::ArrayLiteral(changed_villages),
      pg::ArrayLiteral(changed_contributions));
  return absl::OkStatus();
}

RollupCounters ReadRollup(pqxx::transaction_base& tx, const division::Code& division) {
  // One statement, one snapshot: a compaction running meanwhile is seen
  // either wholly or not at all.
  return SumRows(
      pg::ExecPrepared(tx, "zx_rollup_read",
                       "SELECT key, sum(v)::bigint FROM ("
                       "  SELECT key, value AS v FROM rollup_counters WHERE division_code = $1 "
                       "  UNION ALL "
                       "  SELECT key, delta FROM rollup_deltas WHERE village_code LIKE $2 || '%'"
                       ") t GROUP BY key",
                       division.str(), VillagePrefix(division)));
}

std::optional<RollupCounters> ReadClosedRollup(pqxx::transaction_base& tx,
                                               const division::Code& division, absl::CivilDay day) {
  const std::string date = absl::FormatCivilTime(day);
  if (!tx.exec_params1("SELECT EXISTS (SELECT 1 FROM rollup_closings WHERE day = $1::date)",
                       date)[0]
           .as<bool>()) {
    return std::nullopt;
  }
  return SumRows(tx.exec_params(
      "SELECT key, value FROM rollup_closings WHERE day = $1::date AND division_code = $2", date,
      division.str()));
}

std::optional<absl::CivilDay> EarliestClosing(pqxx::transaction_base& tx) {
  auto row = tx.exec1("SELECT min(day)::text FROM rollup_closings");
  absl::CivilDay day;
  if (row[0].is_null() || !absl::ParseCivilTime(row[0].as<std::string>(), &day)) {
    return std::nullopt;
  }
  return day;
}

absl::StatusOr<RollupCounters> RecountRollup(pqxx::transaction_base& tx,
                                             const division::Code& division, int64_t* households) {
  RollupCounters sum;
  int64_t n = 0;
  for (const auto& row : tx.exec_params(absl::StrCat(kFactsQuery, "h.village_code LIKE $1 || '%'"),
                                        VillagePrefix(division))) {
    auto facts = FactsFromRow(row);
    if (!facts.ok()) return facts.status();
    AddCounters(sum, Contribution(facts->facts));
    ++n;
  }
  if (households != nullptr) *households = n;
  return sum;
}

int64_t CompactRollup(pqxx::transaction_base& tx) {
  const bool locked =
      tx.exec1(
            "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.rollup_compact'))")[0]
          .as<bool>();
  if (!locked) return 0;
  // Deltas committed after this statement's snapshot stay for the next round.
  auto folded = tx.exec(
      "WITH moved AS (DELETE FROM rollup_deltas RETURNING village_code, key, delta), "
      "levels AS ("
      "  SELECT l.code, m.key, sum(m.delta)::bigint AS delta, count(*) AS n FROM moved m "
      "  CROSS JOIN LATERAL (VALUES (m.village_code), (substr(m.village_code, 1, 9) || '000'), "
      "    (substr(m.village_code, 1, 6) || '000000'), (substr(m.village_code, 1, 4) || "
      "'00000000'), "
      "    (substr(m.village_code, 1, 2) || '0000000000')) AS l(code) "
      "  GROUP BY l.code, m.key), "
      "applied AS ("
      "  INSERT INTO rollup_counters AS c (division_code, key, value) "
      "  SELECT code, key, delta FROM levels WHERE delta <> 0 ORDER BY code, key "
      "  ON CONFLICT (division_code, key) DO UPDATE SET value = c.value + EXCLUDED.value "
      "  RETURNING 1) "
      "SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM applied)");
  return folded[0][0].as<int64_t>();
}

bool CloseRollupDay(pqxx::transaction_base& tx, absl::CivilDay day) {
  const std::string date = absl::FormatCivilTime(day);
  if (tx.exec_params1("SELECT EXISTS (SELECT 1 FROM rollup_closings WHERE day = $1::date)", date)[0]
          .as<bool>()) {
    return false;
  }
  tx.exec_params(
      "INSERT INTO rollup_closings (day, division_code, key, value) "
      "SELECT $1::date, division_code, key, value FROM rollup_counters WHERE value <> 0 "
      "ON CONFLICT DO NOTHING",
      date);
  return true;
}

absl::StatusOr<int> CatchUpRollup(pqxx::transaction_base& tx, int limit) {
  std::vector<std::string> ids;
  for (const auto& row :
       tx.exec_params("SELECT household_id FROM households h WHERE NOT EXISTS "
                      "(SELECT 1 FROM household_rollup r WHERE r.household_id = h.household_id) "
                      "ORDER BY household_id LIMIT $1",
                      limit)) {
    ids.push_back(row[0].as<std::string>());
  }
  if (auto s = RefreshRollup(tx, ids); !s.ok()) return s;
  return static_cast<int>(ids.size());
}

}  // namespace zx::monitoring
