#include "services/assets/store/asset_store.h"

#include <iterator>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"
#include "common/time/time.h"

namespace zx::assets {
namespace {

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

// Two reported figures added, saturated like SaturatedSum.
money::Fen Plus(money::Fen a, money::Fen b) { return Saturate(static_cast<__int128>(a) + b); }

// A sum of fen, exact in numeric, saturated at the bigint limits (reported
// figures are int64; a sum beyond them is no real figure); 0 for no rows.
std::string SaturatedSum(const char* column) {
  // coalesce first: greatest() skips a NULL, so the sum of no rows would
  // read as the lower limit.
  return absl::StrCat("least(greatest(coalesce(sum(", column,
                      "), 0), -9223372036854775808), 9223372036854775807)::bigint");
}

template <typename Message>
Message Parse(const pqxx::field& field) {
  Message m;
  const pqxx::binarystring b(field);
  m.ParseFromString(b.str());
  return m;
}

// The SQL selecting (asset_id, asset_class, asset_type, value_fen, body) of
// a ledger now; $1 is the division pattern.
std::string LedgerRowsSql(v1::LedgerKind kind) {
  if (kind == v1::LEDGER_KIND_MASTER) {
    return "SELECT a.asset_id, a.asset_class, a.asset_type, a.original_value_fen AS value_fen, "
           "a.body FROM assets a WHERE a.location_division_code LIKE $1 AND a.state <> 6";
  }
  return absl::StrCat(
      "SELECT a.asset_id, a.asset_class, a.asset_type, e.value_fen, a.body "
      "FROM ledger_entries e JOIN assets a USING (asset_id) WHERE e.ledger_kind = ",
      static_cast<int>(kind), " AND e.ledger_division_code LIKE $1 AND NOT e.disposed");
}

v1::LedgerEntry EntryOf(const v1::Asset& a, money::Fen value) {
  v1::LedgerEntry e;
  e.set_asset_id(a.asset_id());
  e.set_name(a.name());
  e.set_asset_class(a.asset_class());
  e.set_asset_type(a.asset_type());
  e.set_state(a.state());
  e.set_value_fen(value);
  e.set_owner_level(a.ownership().level());
  e.set_owner_id(a.ownership().owner_id());
  e.set_ledger_division_code(a.ownership().owner_division_code());
  e.set_location_division_code(a.location_division_code());
  e.set_project_id(a.project_id());
  return e;
}

void AddTotal(google::protobuf::RepeatedPtrField<v1::TotalLine>* lines, const std::string& key,
              int64_t count, money::Fen value) {
  auto* t = lines->Add();
  t->set_key(key);
  t->set_count(count);
  t->set_value_fen(value);
}

// Master-ledger totals rows of one asset (sign +1 registered, -1 disposed).
struct TotalsDelta {
  std::string county;
  std::vector<std::string> dims, keys, values;
};
TotalsDelta DeltaOf(const v1::Asset& a, int sign) {
  TotalsDelta d;
  d.county = a.location_division_code().substr(0, 6) + "000000";
  const auto add = [&](int dim, int key, money::Fen value) {
    d.dims.push_back(std::to_string(dim));
    d.keys.push_back(std::to_string(key));
    d.values.push_back(std::to_string(sign * value));
  };
  add(1, a.asset_class(), a.original_value_fen());
  add(2, a.asset_type(), a.original_value_fen());
  for (const auto& f : a.funding()) add(3, f.source(), f.amount_fen());
  return d;
}

void AddTotalRow(v1::LedgerTotals& totals, int dim, int key, int64_t count, money::Fen value) {
  if (dim == 1) {
    AddTotal(totals.mutable_by_class(), v1::AssetClass_Name(static_cast<v1::AssetClass>(key)),
             count, value);
    totals.set_count(totals.count() + count);
    totals.set_value_fen(Saturate(static_cast<__int128>(totals.value_fen()) + value));
  } else if (dim == 2) {
    AddTotal(totals.mutable_by_type(), v1::AssetType_Name(static_cast<v1::AssetType>(key)), count,
             value);
  } else {
    AddTotal(totals.mutable_by_source(),
             v1::FundingSource_Name(static_cast<v1::FundingSource>(key)), count, value);
  }
}

// Totals summed from the ledger's rows (sub-ledgers, divisions below a county).
void LoadLiveTotals(pqxx::transaction_base& tx, const std::string& rows, const std::string& pattern,
                    v1::LedgerTotals& totals) {
  for (const auto& row :
       tx.exec_params(absl::StrCat("WITH l AS (", rows, ") SELECT 1, asset_class, count(*), ",
                                   SaturatedSum("value_fen"),
                                   " FROM l GROUP BY asset_class UNION ALL SELECT 2, asset_type, "
                                   "count(*), ",
                                   SaturatedSum("value_fen"),
                                   " FROM l GROUP BY asset_type UNION ALL "
                                   "SELECT 3, f.source, count(*), ",
                                   SaturatedSum("f.amount_fen"),
                                   " "
                                   "FROM l JOIN asset_funding f USING (asset_id) GROUP BY f.source "
                                   "ORDER BY 1, 2"),
                      pattern)) {
    AddTotalRow(totals, row[0].as<int>(), row[1].as<int>(), row[2].as<int64_t>(),
                row[3].as<int64_t>());
  }
}

// The master ledger's totals of counties matching `pattern` from the
// folded totals plus the deltas not folded yet (one snapshot).
void LoadMasterTotals(pqxx::transaction_base& tx, const std::string& pattern,
                      v1::LedgerTotals& totals) {
  for (const auto& row : pg::ExecPrepared(
           tx, "assets_master_totals",
           "SELECT dim, key, sum(count)::bigint, least(greatest(sum(value_fen), "
           "-9223372036854775808), 9223372036854775807)::bigint FROM ("
           "  SELECT dim, key, count, value_fen FROM ledger_totals WHERE county_code LIKE $1 "
           "  UNION ALL SELECT dim, key, count, value_fen FROM ledger_deltas "
           "  WHERE county_code LIKE $1) x GROUP BY dim, key HAVING sum(count) <> 0 "
           "ORDER BY dim, key",
           pattern)) {
    AddTotalRow(totals, row[0].as<int>(), row[1].as<int>(), row[2].as<int64_t>(),
                row[3].as<int64_t>());
  }
}

}  // namespace

int64_t CompactLedgerTotals(pqxx::transaction_base& tx) {
  return pg::ExecPrepared(
             tx, "assets_compact_totals",
             "WITH moved AS (DELETE FROM ledger_deltas WHERE id IN "
             "  (SELECT id FROM ledger_deltas ORDER BY id LIMIT 100000) "
             "  RETURNING county_code, dim, key, count, value_fen), "
             "folded AS (INSERT INTO ledger_totals (county_code, dim, key, count, value_fen) "
             "  SELECT county_code, dim, key, sum(count), sum(value_fen) FROM moved "
             "  GROUP BY 1, 2, 3 ON CONFLICT (county_code, dim, key) DO UPDATE "
             "  SET count = ledger_totals.count + excluded.count, "
             "      value_fen = ledger_totals.value_fen + excluded.value_fen) "
             "SELECT count(*) FROM moved")[0][0]
      .as<int64_t>();
}

std::string DivisionPattern(const division::Code& division) {
  static constexpr int kDigits[] = {0, 2, 4, 6, 9, 12};
  return division.str().substr(0, kDigits[static_cast<int>(division.level())]) + "%";
}

// ---- Projects ----------------------------------------------------------------------

void InsertProject(pqxx::transaction_base& tx, const v1::Project& p) {
  tx.exec_params(
      "INSERT INTO projects (project_id, division_code, year, category, status, total_fen, body) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      p.project_id(), p.division_code(), p.year(), static_cast<int>(p.category()),
      static_cast<int>(p.status()), p.total_fen(), Bytes(p.SerializeAsString()));
}

std::optional<v1::Project> FindProject(pqxx::transaction_base& tx, const std::string& project_id,
                                       bool lock) {
  const auto rows =
      lock
          ? tx.exec_params("SELECT body FROM projects WHERE project_id = $1 FOR UPDATE", project_id)
          : pg::ExecPrepared(tx, "assets_find_project",
                             "SELECT body FROM projects WHERE project_id = $1", project_id);
  if (rows.empty()) return std::nullopt;
  return Parse<v1::Project>(rows[0][0]);
}

std::map<std::string, v1::Project> FindProjects(pqxx::transaction_base& tx,
                                                const std::vector<std::string>& project_ids) {
  std::map<std::string, v1::Project> out;
  for (const auto& row :
       pg::ExecPrepared(tx, "assets_find_projects",
                        "SELECT project_id, body FROM projects WHERE project_id = ANY($1::text[])",
                        pg::ArrayLiteral(project_ids))) {
    out.emplace(row[0].as<std::string>(), Parse<v1::Project>(row[1]));
  }
  return out;
}

void UpdateProjectStatus(pqxx::transaction_base& tx, const v1::Project& p, v1::ProjectStatus from,
                         const std::string& reason, const std::string& request_id) {
  tx.exec_params("UPDATE projects SET status = $2, body = $3 WHERE project_id = $1", p.project_id(),
                 static_cast<int>(p.status()), Bytes(p.SerializeAsString()));
  tx.exec_params(
      "INSERT INTO project_journal (project_id, from_status, to_status, actor, reason, request_id) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      p.project_id(), static_cast<int>(from), static_cast<int>(p.status()),
      Bytes(p.updated().SerializeAsString()), reason, request_id);
}

std::vector<v1::ProjectStatusChange> LoadProjectHistory(pqxx::transaction_base& tx,
                                                        const std::string& project_id) {
  std::vector<v1::ProjectStatusChange> out;
  for (const auto& row :
       tx.exec_params("SELECT from_status, to_status, actor, reason FROM project_journal "
                      "WHERE project_id = $1 ORDER BY seq",
                      project_id)) {
    v1::ProjectStatusChange c;
    c.set_from_status(static_cast<v1::ProjectStatus>(row[0].as<int>()));
    c.set_to_status(static_cast<v1::ProjectStatus>(row[1].as<int>()));
    *c.mutable_by() = Parse<zx::common::v1::AuditStamp>(row[2]);
    c.set_reason(row[3].as<std::string>());
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<ProjectFunding> LoadProjectFunding(pqxx::transaction_base& tx,
                                               const division::Code& division, int year) {
  std::vector<ProjectFunding> out;
  for (const auto& row : tx.exec_params("SELECT body FROM projects WHERE year = $1 AND "
                                        "division_code LIKE $2 ORDER BY project_id",
                                        year, DivisionPattern(division))) {
    const auto p = Parse<v1::Project>(row[0]);
    out.push_back({p.category(), {p.funding_lines().begin(), p.funding_lines().end()}});
  }
  return out;
}

// ---- Assets ------------------------------------------------------------------------

std::optional<v1::Asset> FindAsset(pqxx::transaction_base& tx, const std::string& asset_id,
                                   bool lock) {
  const auto rows = tx.exec_params(
      absl::StrCat("SELECT body FROM assets WHERE asset_id = $1", lock ? " FOR UPDATE" : ""),
      asset_id);
  if (rows.empty()) return std::nullopt;
  return Parse<v1::Asset>(rows[0][0]);
}

void WriteRegistrations(pqxx::transaction_base& tx, std::span<const Registration> registrations) {
  if (registrations.empty()) return;
  const auto n = static_cast<int64_t>(registrations.size());
  // Column arrays: one statement writes the journal entries, master rows,
  // funding lines, total deltas and sub-ledger entries of every asset; the
  // foreign keys are checked at the statement's end. The deltas are summed
  // per county and key: a batch of one county adds a few rows, not three per
  // asset, for the compactor to fold.
  std::vector<std::string> seqs, ids, actors, levels, values, states, afters, request_ids, projects,
      locations, classes, types, owner_levels, owner_ids, owner_divisions, ledgers;
  std::vector<std::string> f_ids, f_lines, f_sources, f_amounts;
  std::vector<std::string> d_counties, d_dims, d_keys, d_values;
  const auto seq_rows = pg::ExecPrepared(
      tx, "assets_journal_seqs",
      "SELECT nextval(pg_get_serial_sequence('asset_journal', 'seq')) FROM generate_series(1, $1)",
      n);
  for (size_t i = 0; i < registrations.size(); ++i) {
    const Registration& r = registrations[i];
    v1::Asset& a = *r.asset;
    a.set_journal_seq(seq_rows[static_cast<int>(i)][0].as<int64_t>());
    *a.mutable_updated() = *r.actor;
    *a.mutable_created() = *r.actor;
    const auto& o = a.ownership();
    seqs.push_back(std::to_string(a.journal_seq()));
    ids.push_back(a.asset_id());
    actors.push_back(pg::HexBytes(r.actor->SerializeAsString()));
    levels.push_back(std::to_string(static_cast<int>(r.actor_level)));
    values.push_back(std::to_string(a.original_value_fen()));
    states.push_back(std::to_string(static_cast<int>(a.state())));
    afters.push_back(pg::HexBytes(a.SerializeAsString()));
    request_ids.push_back(r.request_id);
    projects.push_back(a.project_id());
    locations.push_back(a.location_division_code());
    classes.push_back(std::to_string(static_cast<int>(a.asset_class())));
    types.push_back(std::to_string(static_cast<int>(a.asset_type())));
    owner_levels.push_back(std::to_string(static_cast<int>(o.level())));
    owner_ids.push_back(o.owner_id());
    owner_divisions.push_back(o.owner_division_code());
    ledgers.push_back(std::to_string(static_cast<int>(LedgerFor(o.level()))));
    for (int line = 0; line < a.funding_size(); ++line) {
      f_ids.push_back(a.asset_id());
      f_lines.push_back(std::to_string(line));
      f_sources.push_back(std::to_string(static_cast<int>(a.funding(line).source())));
      f_amounts.push_back(std::to_string(a.funding(line).amount_fen()));
    }
    TotalsDelta delta = DeltaOf(a, 1);
    for (size_t k = 0; k < delta.dims.size(); ++k) d_counties.push_back(delta.county);
    std::move(delta.dims.begin(), delta.dims.end(), std::back_inserter(d_dims));
    std::move(delta.keys.begin(), delta.keys.end(), std::back_inserter(d_keys));
    std::move(delta.values.begin(), delta.values.end(), std::back_inserter(d_values));
  }
  const auto array = [](const std::vector<std::string>& v) { return pg::ArrayLiteral(v); };
  pg::ExecPrepared(
      tx, "assets_register_batch",
      "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], "
      "    $5::bigint[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[], "
      "    $11::smallint[], $12::smallint[], $13::smallint[], $14::text[], $15::text[], "
      "    $16::smallint[]) AS r(seq, asset_id, actor, actor_level, value_fen, state, after, "
      "    request_id, project_id, location, asset_class, asset_type, owner_level, owner_id, "
      "    owner_division, ledger_kind)), "
      "j AS (INSERT INTO asset_journal (seq, asset_id, action, actor, actor_level, value_fen, "
      "    state, before, after, reason, request_id) "
      "  SELECT seq, asset_id, 'register', decode(actor, 'hex'), actor_level, value_fen, state, "
      "    NULL, decode(after, 'hex'), '', request_id FROM r), "
      "a AS (INSERT INTO assets (asset_id, project_id, location_division_code, asset_class, "
      "    asset_type, state, original_value_fen, owner_level, owner_id, owner_division_code, "
      "    journal_seq, body) "
      "  SELECT asset_id, project_id, location, asset_class, asset_type, state, value_fen, "
      "    owner_level, owner_id, owner_division, seq, decode(after, 'hex') FROM r), "
      "f AS (INSERT INTO asset_funding (asset_id, line_no, source, amount_fen) "
      "  SELECT * FROM unnest($17::text[], $18::smallint[], $19::smallint[], $20::bigint[])), "
      "d AS (INSERT INTO ledger_deltas (county_code, dim, key, count, value_fen) "
      "  SELECT x.county, x.dim, x.key, count(*), sum(x.value) "
      "  FROM unnest($21::text[], $22::smallint[], $23::smallint[], $24::bigint[]) "
      "    AS x(county, dim, key, value) GROUP BY 1, 2, 3) "
      "INSERT INTO ledger_entries (asset_id, ledger_kind, ledger_division_code, owner_id, "
      "  location_division_code, value_fen) "
      "SELECT asset_id, ledger_kind, owner_division, owner_id, location, value_fen FROM r",
      array(seqs), array(ids), array(actors), array(levels), array(values), array(states),
      array(afters), array(request_ids), array(projects), array(locations), array(classes),
      array(types), array(owner_levels), array(owner_ids), array(owner_divisions), array(ledgers),
      array(f_ids), array(f_lines), array(f_sources), array(f_amounts), array(d_counties),
      array(d_dims), array(d_keys), array(d_values));
}

void WriteAssetChange(pqxx::transaction_base& tx, const v1::Asset* before, v1::Asset& after,
                      const std::string& action, const zx::common::v1::AuditStamp& actor,
                      division::Level actor_level, const std::string& reason,
                      const std::string& request_id) {
  if (!before) {
    // Every registration journals "register" without a reason.
    const Registration r{&after, &actor, actor_level, request_id};
    WriteRegistrations(tx, std::span<const Registration>(&r, 1));
    return;
  }
  const auto seq =
      pg::ExecPrepared(tx, "assets_journal_seq",
                       "SELECT nextval(pg_get_serial_sequence('asset_journal', 'seq'))")[0][0]
          .as<int64_t>();
  after.set_journal_seq(seq);
  *after.mutable_updated() = actor;
  const std::string after_bytes = after.SerializeAsString();
  const auto& o = after.ownership();
  const int ledger = static_cast<int>(LedgerFor(o.level()));
  const std::string actor_bytes = actor.SerializeAsString();
  if (after.state() == v1::ASSET_STATE_DISPOSED && before->state() != v1::ASSET_STATE_DISPOSED) {
    // A disposed asset leaves the master ledger's totals.
    const TotalsDelta delta = DeltaOf(after, -1);
    pg::ExecPrepared(tx, "assets_totals_delta",
                     "INSERT INTO ledger_deltas (county_code, dim, key, count, value_fen) "
                     "SELECT $1, x.dim, x.key, -1, x.value FROM unnest($2::smallint[], "
                     "$3::smallint[], $4::bigint[]) AS x(dim, key, value)",
                     delta.county, pg::ArrayLiteral(delta.dims), pg::ArrayLiteral(delta.keys),
                     pg::ArrayLiteral(delta.values));
  }
  // One statement (prepared): journal entry, master row, sub-ledger owner.
  pg::ExecPrepared(
      tx, "assets_change",
      "WITH j AS (INSERT INTO asset_journal (seq, asset_id, action, actor, actor_level, "
      "    value_fen, state, before, after, reason, request_id) "
      "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)), "
      "a AS (UPDATE assets SET state = $7, owner_level = $12, owner_id = $13, "
      "    owner_division_code = $14, journal_seq = $1, body = $9 WHERE asset_id = $2) "
      "UPDATE ledger_entries SET ledger_kind = $15, ledger_division_code = $14, owner_id = $13, "
      "  disposed = $16 WHERE asset_id = $2",
      seq, after.asset_id(), action, Bytes(actor_bytes), static_cast<int>(actor_level),
      after.original_value_fen(), static_cast<int>(after.state()),
      Bytes(before->SerializeAsString()), Bytes(after_bytes), reason, request_id,
      static_cast<int>(o.level()), o.owner_id(), o.owner_division_code(), ledger,
      after.state() == v1::ASSET_STATE_DISPOSED);
}

std::vector<v1::JournalEntry> LoadJournal(pqxx::transaction_base& tx, const std::string& asset_id) {
  std::vector<v1::JournalEntry> out;
  for (const auto& row :
       tx.exec_params("SELECT seq, action, actor, actor_level, before, after, reason, request_id "
                      "FROM asset_journal WHERE asset_id = $1 ORDER BY seq",
                      asset_id)) {
    v1::JournalEntry e;
    e.set_seq(row[0].as<int64_t>());
    e.set_asset_id(asset_id);
    e.set_action(row[1].as<std::string>());
    *e.mutable_actor() = Parse<zx::common::v1::AuditStamp>(row[2]);
    e.set_actor_level(static_cast<zx::common::v1::Level>(row[3].as<int>()));
    if (!row[4].is_null()) *e.mutable_before() = Parse<v1::Asset>(row[4]);
    *e.mutable_after() = Parse<v1::Asset>(row[5]);
    e.set_reason(row[6].as<std::string>());
    e.set_request_id(row[7].as<std::string>());
    out.push_back(std::move(e));
  }
  return out;
}

// ---- Ledgers -------------------------------------------------------------------------

void LoadLedgerNow(pqxx::transaction_base& tx, const division::Code& division, v1::LedgerKind kind,
                   const std::string& after_asset_id, int page_size, v1::Ledger& out) {
  const std::string rows = LedgerRowsSql(kind);
  const std::string pattern = DivisionPattern(division);
  auto* totals = out.mutable_totals();
  if (kind == v1::LEDGER_KIND_MASTER && division.level() <= division::Level::kCounty) {
    LoadMasterTotals(tx, pattern, *totals);
  } else {
    LoadLiveTotals(tx, rows, pattern, *totals);
  }
  const auto page = tx.exec_params(
      absl::StrCat(
          "WITH l AS (", rows,
          ") SELECT value_fen, body FROM l WHERE asset_id > $2 ORDER BY asset_id LIMIT $3"),
      pattern, after_asset_id, page_size + 1);
  for (int i = 0; i < static_cast<int>(page.size()) && i < page_size; ++i) {
    *out.add_entries() = EntryOf(Parse<v1::Asset>(page[i][1]), page[i][0].as<int64_t>());
  }
  if (static_cast<int>(page.size()) > page_size) {
    out.set_next_page_token(out.entries(page_size - 1).asset_id());
  }
}

void LoadLedgerAsOf(pqxx::transaction_base& tx, const division::Code& division, v1::LedgerKind kind,
                    absl::Time as_of, const std::string& after_asset_id, int page_size,
                    v1::Ledger& out) {
  // The last journal entry up to as_of of every asset the ledger may hold:
  // the master ledger by location, a sub-ledger by its owner's division (as
  // LoadLedgerNow) — candidates by the current owner or the location, then
  // each asset by its owner as of then.
  const bool master = kind == v1::LEDGER_KIND_MASTER;
  const auto rows = tx.exec_params(
      absl::StrCat("SELECT DISTINCT ON (j.asset_id) j.after FROM asset_journal j "
                   "JOIN assets a USING (asset_id) WHERE ",
                   master ? "a.location_division_code LIKE $1 "
                          : "(a.owner_division_code LIKE $1 OR a.location_division_code LIKE $1) ",
                   // Microseconds, as PostgreSQL keeps them: a millisecond text form cut
                   // off changes made earlier in the same millisecond.
                   "AND j.at <= 'epoch'::timestamptz + $2 * interval '1 microsecond' "
                   "ORDER BY j.asset_id, j.seq DESC"),
      DivisionPattern(division), absl::ToUnixMicros(as_of));
  // Sums exact in 128 bits, saturated when reported.
  std::map<std::string, std::pair<int64_t, __int128>> by_class, by_type, by_source;
  __int128 total_value = 0;
  auto* totals = out.mutable_totals();
  const std::string pattern = DivisionPattern(division);
  const std::string prefix = pattern.substr(0, pattern.size() - 1);
  for (const auto& row : rows) {
    const auto a = Parse<v1::Asset>(row[0]);
    if (a.state() == v1::ASSET_STATE_DISPOSED) continue;
    if (kind != v1::LEDGER_KIND_MASTER) {
      if (LedgerFor(a.ownership().level()) != kind) continue;
      if (a.ownership().owner_division_code().rfind(prefix, 0) != 0) continue;
    }
    const money::Fen v = a.original_value_fen();
    totals->set_count(totals->count() + 1);
    total_value += v;
    auto& c = by_class[v1::AssetClass_Name(a.asset_class())];
    ++c.first;
    c.second += v;
    auto& t = by_type[v1::AssetType_Name(a.asset_type())];
    ++t.first;
    t.second += v;
    for (const auto& f : a.funding()) {
      auto& s = by_source[v1::FundingSource_Name(f.source())];
      ++s.first;
      s.second += f.amount_fen();
    }
    if (a.asset_id() > after_asset_id && out.entries_size() < page_size + 1) {
      *out.add_entries() = EntryOf(a, v);
    }
  }
  totals->set_value_fen(Saturate(total_value));
  for (const auto& [k, x] : by_class) {
    AddTotal(totals->mutable_by_class(), k, x.first, Saturate(x.second));
  }
  for (const auto& [k, x] : by_type) {
    AddTotal(totals->mutable_by_type(), k, x.first, Saturate(x.second));
  }
  for (const auto& [k, x] : by_source) {
    AddTotal(totals->mutable_by_source(), k, x.first, Saturate(x.second));
  }
  if (out.entries_size() > page_size) {
    out.mutable_entries()->RemoveLast();
    out.set_next_page_token(out.entries(page_size - 1).asset_id());
  }
}

ReconcileRows LoadReconcileRows(pqxx::transaction_base& tx, const division::Code& division) {
  ReconcileRows out;
  const std::string pattern = DivisionPattern(division);
  for (const auto& row : tx.exec_params(
           "SELECT a.asset_id, a.original_value_fen, a.owner_level, a.owner_id, j.value_fen "
           "FROM assets a LEFT JOIN LATERAL (SELECT value_fen FROM asset_journal "
           "  WHERE asset_id = a.asset_id ORDER BY seq DESC LIMIT 1) j ON true "
           "WHERE a.location_division_code LIKE $1 AND a.state <> 6",
           pattern)) {
    const auto id = row[0].as<std::string>();
    out.master.push_back(
        {.asset_id = id,
         .value_fen = row[1].as<int64_t>(),
         .expected_ledger = LedgerFor(static_cast<v1::OwnerLevel>(row[2].as<int>())),
         .owner_id = row[3].as<std::string>()});
    if (!row[4].is_null())
      out.journal.push_back({.asset_id = id, .value_fen = row[4].as<int64_t>()});
  }
  for (const auto& row :
       tx.exec_params("SELECT asset_id, ledger_kind, owner_id, value_fen FROM ledger_entries "
                      "WHERE location_division_code LIKE $1 AND NOT disposed",
                      pattern)) {
    out.subledgers.push_back({.asset_id = row[0].as<std::string>(),
                              .kind = static_cast<v1::LedgerKind>(row[1].as<int>()),
                              .owner_id = row[2].as<std::string>(),
                              .value_fen = row[3].as<int64_t>()});
  }
  return out;
}

// ---- Income and distribution ----------------------------------------------------------

void InsertIncome(pqxx::transaction_base& tx, const v1::IncomeRecord& r) {
  tx.exec_params(
      "INSERT INTO income_records (income_id, asset_id, period, kind, amount_fen, body) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      r.income_id(), r.asset_id(), r.period(), static_cast<int>(r.kind()), r.amount_fen(),
      Bytes(r.SerializeAsString()));
}

money::Fen UndistributedIncome(pqxx::transaction_base& tx, const std::string& asset_id,
                               const std::string& period) {
  return tx
      .exec_params1(
          // numeric, saturated: old incomes may sum beyond int64 (the cap
          // came later), and a distribution is checked against at most this.
          "SELECT least(greatest((SELECT coalesce(sum(amount_fen), 0) FROM income_records "
          "        WHERE asset_id = $1 AND period = $2) - "
          "       (SELECT coalesce(sum(amount_fen), 0) FROM distributions "
          "        WHERE asset_id = $1 AND period = $2), -9223372036854775808), "
          "       9223372036854775807)::bigint",
          asset_id, period)[0]
      .as<int64_t>();
}

void InsertDistribution(pqxx::transaction_base& tx, const v1::Distribution& d) {
  tx.exec_params(
      "INSERT INTO distributions (distribution_id, asset_id, period, amount_fen, body) "
      "VALUES ($1, $2, $3, $4, $5)",
      d.distribution_id(), d.asset_id(), d.period(), d.amount_fen(), Bytes(d.SerializeAsString()));
  for (const auto& l : d.lines()) {
    std::optional<std::string> hh, village;
    if (!l.household_id().empty()) {
      hh = l.household_id();
      village = l.village_code();
    }
    tx.exec_params(
        "INSERT INTO distribution_lines (line_id, distribution_id, use, household_id, "
        "village_code, amount_fen) VALUES ($1, $2, $3, $4, $5, $6)",
        l.line_id(), d.distribution_id(), static_cast<int>(l.use()), hh, village, l.amount_fen());
  }
}

// ---- Disposal -------------------------------------------------------------------------

void InsertDisposal(pqxx::transaction_base& tx, const v1::Disposal& d) {
  tx.exec_params(
      "INSERT INTO disposals (disposal_id, asset_id, status, body) VALUES ($1, $2, $3, $4)",
      d.disposal_id(), d.asset_id(), static_cast<int>(d.status()), Bytes(d.SerializeAsString()));
}

std::optional<v1::Disposal> FindDisposal(pqxx::transaction_base& tx, const std::string& disposal_id,
                                         bool lock) {
  const auto rows = tx.exec_params(
      absl::StrCat("SELECT body FROM disposals WHERE disposal_id = $1", lock ? " FOR UPDATE" : ""),
      disposal_id);
  if (rows.empty()) return std::nullopt;
  return Parse<v1::Disposal>(rows[0][0]);
}

void UpdateDisposal(pqxx::transaction_base& tx, const v1::Disposal& d) {
  tx.exec_params("UPDATE disposals SET status = $2, body = $3 WHERE disposal_id = $1",
                 d.disposal_id(), static_cast<int>(d.status()), Bytes(d.SerializeAsString()));
}

std::optional<std::string> FindOpenDisposal(pqxx::transaction_base& tx,
                                            const std::string& asset_id) {
  const auto rows = tx.exec_params(
      "SELECT disposal_id FROM disposals WHERE asset_id = $1 AND status IN (1, 2, 3)", asset_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void CreditVillage(pqxx::transaction_base& tx, const std::string& disposal_id,
                   const std::string& village_code, money::Fen amount_fen) {
  tx.exec_params(
      "INSERT INTO village_credits (disposal_id, village_code, amount_fen) VALUES ($1, $2, $3)",
      disposal_id, village_code, amount_fen);
}

// ---- Inspections, certificates ----------------------------------------------------------

void InsertInspection(pqxx::transaction_base& tx, const v1::Inspection& i) {
  tx.exec_params(
      "INSERT INTO inspections (inspection_id, asset_id, result, inspected_on, body) "
      "VALUES ($1, $2, $3, $4, $5)",
      i.inspection_id(), i.asset_id(), static_cast<int>(i.result()), i.inspected_on(),
      Bytes(i.SerializeAsString()));
}

void InsertCertificate(pqxx::transaction_base& tx, const v1::Certificate& c) {
  tx.exec_params("INSERT INTO certificates (certificate_id, asset_id, body) VALUES ($1, $2, $3)",
                 c.certificate_id(), c.asset_id(), Bytes(c.SerializeAsString()));
}

v1::BookCheckReport LoadBookCheckReport(pqxx::transaction_base& tx,
                                        const division::Code& division) {
  constexpr int kMaxIds = 1000;
  v1::BookCheckReport r;
  r.set_division_code(division.str());
  for (const auto& row : tx.exec_params(
           "SELECT a.asset_id, l.result, EXISTS (SELECT 1 FROM certificates c "
           "  WHERE c.asset_id = a.asset_id) "
           "FROM assets a LEFT JOIN LATERAL (SELECT result FROM inspections i "
           "  WHERE i.asset_id = a.asset_id ORDER BY inspected_on DESC, at DESC LIMIT 1) l ON true "
           "WHERE a.location_division_code LIKE $1 AND a.state <> 6 ORDER BY a.asset_id",
           DivisionPattern(division))) {
    const auto id = row[0].as<std::string>();
    r.set_asset_count(r.asset_count() + 1);
    if (row[1].is_null()) {
      r.set_never_inspected(r.never_inspected() + 1);
    } else {
      r.set_inspected(r.inspected() + 1);
      switch (row[1].as<int>()) {
        case v1::INSPECTION_RESULT_FOUND:
          r.set_found(r.found() + 1);
          break;
        case v1::INSPECTION_RESULT_DAMAGED:
          r.set_damaged(r.damaged() + 1);
          if (r.damaged_asset_ids_size() < kMaxIds) r.add_damaged_asset_ids(id);
          break;
        default:
          r.set_missing(r.missing() + 1);
          if (r.missing_asset_ids_size() < kMaxIds) r.add_missing_asset_ids(id);
      }
    }
    if (row[2].as<bool>()) {
      r.set_with_certificate(r.with_certificate() + 1);
    } else {
      r.set_without_certificate(r.without_certificate() + 1);
      if (r.uncertified_asset_ids_size() < kMaxIds) r.add_uncertified_asset_ids(id);
    }
  }
  return r;
}

// ---- Roll-ups ------------------------------------------------------------------------

v1::AssetRollup LoadRollup(pqxx::transaction_base& tx, const division::Code& division,
                           int child_digits) {
  std::map<std::string, v1::RollupFigures> children;
  v1::AssetRollup out;
  v1::RollupFigures& total = *out.mutable_total();
  total.set_division_code(division.str());
  const std::string pattern = DivisionPattern(division);
  const int n = child_digits == 0 ? 12 : child_digits;
  const auto child = [&](const std::string& prefix) -> v1::RollupFigures* {
    if (child_digits == 0) return nullptr;
    auto& c = children[prefix];
    if (c.division_code().empty())
      c.set_division_code(prefix + std::string(12 - prefix.size(), '0'));
    return &c;
  };
  // Keyed lines are summed per key, then written in key order.
  std::map<std::string, std::map<std::string, std::pair<int64_t, money::Fen>>> lines;
  const auto add_line = [&](const v1::RollupFigures* f, const std::string& group,
                            const std::string& key, int64_t count, money::Fen value) {
    auto& l = lines[absl::StrCat(f->division_code(), "/", group)][key];
    l.first += count;
    l.second = Plus(l.second, value);
  };
  for (const auto& row : tx.exec_params(
           "SELECT substr(location_division_code, 1, $2), asset_class, owner_level, state, "
           "count(*), least(sum(original_value_fen), 9223372036854775807)::bigint FROM assets "
           "WHERE location_division_code LIKE $1 GROUP BY 1, 2, 3, 4",
           pattern, n)) {
    const auto cls = v1::AssetClass_Name(static_cast<v1::AssetClass>(row[1].as<int>()));
    const auto owner = v1::OwnerLevel_Name(static_cast<v1::OwnerLevel>(row[2].as<int>()));
    const auto state_value = static_cast<v1::AssetState>(row[3].as<int>());
    const auto state = v1::AssetState_Name(state_value);
    const int64_t count = row[4].as<int64_t>();
    const money::Fen value = row[5].as<int64_t>();
    for (v1::RollupFigures* f : {&total, child(row[0].as<std::string>())}) {
      if (!f) continue;
      add_line(f, "state", state, count, value);
      if (state_value == v1::ASSET_STATE_DISPOSED) continue;
      f->set_asset_count(f->asset_count() + count);
      f->set_value_fen(Plus(f->value_fen(), value));
      add_line(f, "class", cls, count, value);
      add_line(f, "owner", owner, count, value);
      if (state_value == v1::ASSET_STATE_IDLE) f->set_idle_count(f->idle_count() + count);
    }
  }
  for (const auto& row :
       tx.exec_params("SELECT substr(a.location_division_code, 1, $2), "
                      "  (SELECT " +
                          SaturatedSum("amount_fen") +
                          " FROM income_records i WHERE i.asset_id = a.asset_id), "
                          "  (SELECT " +
                          SaturatedSum("amount_fen") +
                          " FROM distributions d WHERE d.asset_id = a.asset_id), "
                          "  (SELECT result FROM inspections i WHERE i.asset_id = a.asset_id "
                          "   ORDER BY inspected_on DESC, at DESC LIMIT 1) = 3 AND a.state <> 6 "
                          "FROM assets a WHERE a.location_division_code LIKE $1",
                      pattern, n)) {
    for (v1::RollupFigures* f : {&total, child(row[0].as<std::string>())}) {
      if (!f) continue;
      f->set_income_fen(Plus(f->income_fen(), row[1].as<int64_t>()));
      f->set_distributed_fen(Plus(f->distributed_fen(), row[2].as<int64_t>()));
      if (!row[3].is_null() && row[3].as<bool>()) f->set_missing_count(f->missing_count() + 1);
    }
  }
  const auto write = [&](v1::RollupFigures& f) {
    for (const auto& [group, field] :
         std::vector<std::pair<std::string, google::protobuf::RepeatedPtrField<v1::TotalLine>*>>{
             {"class", f.mutable_by_class()},
             {"owner", f.mutable_by_owner_level()},
             {"state", f.mutable_by_state()}}) {
      for (const auto& [key, x] : lines[absl::StrCat(f.division_code(), "/", group)]) {
        AddTotal(field, key, x.first, x.second);
      }
    }
  };
  write(total);
  for (auto& [_, c] : children) {
    write(c);
    *out.add_children() = std::move(c);
  }
  return out;
}

// ---- Collective economy -------------------------------------------------------------------

void InsertCollectiveIncome(pqxx::transaction_base& tx, const v1::CollectiveIncome& i) {
  tx.exec_params(
      "INSERT INTO collective_incomes (income_id, village_code, year, amount_fen, body) "
      "VALUES ($1, $2, $3, $4, $5)",
      i.income_id(), i.village_code(), i.year(), i.amount_fen(), Bytes(i.SerializeAsString()));
}

std::vector<VillageIncome> LoadVillageIncomes(pqxx::transaction_base& tx,
                                              const division::Code& division, int year) {
  std::map<std::string, VillageIncome> by_village;
  const std::string pattern = DivisionPattern(division);
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT a.owner_division_code, ", SaturatedSum("i.amount_fen"),
                                   " FROM income_records i JOIN assets a USING (asset_id) "
                                   "WHERE a.owner_level = 3 AND a.owner_division_code LIKE $1 "
                                   "AND i.period LIKE $2 GROUP BY 1"),
                      pattern, absl::StrCat(year, "-%"))) {
    auto& v = by_village[row[0].as<std::string>()];
    v.village_code = row[0].as<std::string>();
    v.from_assets_fen = row[1].as<int64_t>();
  }
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT village_code, ", SaturatedSum("amount_fen"),
                                   " FROM collective_incomes WHERE village_code LIKE $1 "
                                   "AND year = $2 GROUP BY 1"),
                      pattern, year)) {
    auto& v = by_village[row[0].as<std::string>()];
    v.village_code = row[0].as<std::string>();
    v.other_fen = row[1].as<int64_t>();
  }
  std::vector<VillageIncome> out;
  for (auto& [_, v] : by_village) out.push_back(std::move(v));
  return out;
}

std::vector<std::string> LoadAssetVillages(pqxx::transaction_base& tx,
                                           const division::Code& division) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           "SELECT owner_division_code FROM assets WHERE owner_division_code LIKE $1 "
           "AND owner_level IN (3, 4) "
           "UNION SELECT location_division_code FROM assets WHERE location_division_code LIKE $1 "
           "AND right(location_division_code, 3) <> '000' ORDER BY 1",
           DivisionPattern(division))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

// ---- Policy ---------------------------------------------------------------------------

void InsertPolicy(pqxx::transaction_base& tx, const v1::AssetsPolicy& p) {
  tx.exec_params(
      "INSERT INTO policies (owner_division_code, year, version, body) VALUES ($1, $2, $3, $4)",
      p.owner_division_code(), p.year(), p.version(), Bytes(p.SerializeAsString()));
}

std::vector<PublishedPolicy> LoadPoliciesFor(pqxx::transaction_base& tx,
                                             const division::Code& division) {
  std::vector<std::string> owners;
  for (int l = static_cast<int>(division::Level::kRegion); l <= static_cast<int>(division.level());
       ++l) {
    owners.push_back(division.AncestorAt(static_cast<division::Level>(l)).str());
  }
  std::vector<PublishedPolicy> out;
  for (const auto& row :
       tx.exec_params("SELECT seq, body FROM policies WHERE owner_division_code = ANY($1::text[])",
                      pg::ArrayLiteral(owners))) {
    const auto p = Parse<v1::AssetsPolicy>(row[1]);
    out.push_back({.owner = *division::Code::Parse(p.owner_division_code()),
                   .year = p.year(),
                   .seq = row[0].as<int64_t>(),
                   .policy = PolicyFromProto(p)});
  }
  return out;
}

}  // namespace zx::assets
