// SQL of the assets service, inside the caller's transaction. Protos are
// stored whole (body) beside the columns that queries filter and sum on.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "common/division/division.h"
#include "services/assets/domain/assets.h"
#include "zx/assets/v1/assets.pb.h"

namespace zx::assets {

// "653121%" for a county: the LIKE pattern of every code inside `division`.
std::string DivisionPattern(const division::Code& division);

// ---- Projects ---------------------------------------------------------------------
void InsertProject(pqxx::transaction_base& tx, const v1::Project& project);
std::optional<v1::Project> FindProject(pqxx::transaction_base& tx, const std::string& project_id,
                                       bool lock);
void UpdateProjectStatus(pqxx::transaction_base& tx, const v1::Project& project,
                         v1::ProjectStatus from, const std::string& reason,
                         const std::string& request_id);
std::vector<v1::ProjectStatusChange> LoadProjectHistory(pqxx::transaction_base& tx,
                                                        const std::string& project_id);
std::vector<ProjectFunding> LoadProjectFunding(pqxx::transaction_base& tx,
                                               const division::Code& division, int year);

// ---- Assets and the journal ----------------------------------------------------------
std::optional<v1::Asset> FindAsset(pqxx::transaction_base& tx, const std::string& asset_id,
                                   bool lock);

// Journals the change (before is nullptr for a registration), stamps
// after.journal_seq, and writes the master row, its funding and its
// sub-ledger entry. A sub-ledger entry keeps the value it was entered with:
// only its owner (and disposal) follow the master here.
void WriteAssetChange(pqxx::transaction_base& tx, const v1::Asset* before, v1::Asset& after,
                      const std::string& action, const zx::common::v1::AuditStamp& actor,
                      division::Level actor_level, const std::string& reason,
                      const std::string& request_id);

// Registrations of many assets (group commit) in two statements: stamps
// each asset's journal_seq, created and updated and writes what
// WriteAssetChange writes for a registration.
struct Registration {
  v1::Asset* asset;  // asset_id and state set
  const zx::common::v1::AuditStamp* actor;
  division::Level actor_level;
  std::string request_id;
};
void WriteRegistrations(pqxx::transaction_base& tx, std::span<const Registration> registrations);

// Projects by id (those that exist).
std::map<std::string, v1::Project> FindProjects(pqxx::transaction_base& tx,
                                                const std::vector<std::string>& project_ids);

std::vector<v1::JournalEntry> LoadJournal(pqxx::transaction_base& tx, const std::string& asset_id);

// ---- Ledgers ------------------------------------------------------------------------
// Folds up to 100,000 master-ledger total deltas into ledger_totals; returns
// how many were folded. Safe to run from several replicas at once.
int64_t CompactLedgerTotals(pqxx::transaction_base& tx);
// Totals and one page of the ledger as it stands now. The master ledger's
// totals at county level and above come from the folded totals and deltas.
void LoadLedgerNow(pqxx::transaction_base& tx, const division::Code& division, v1::LedgerKind kind,
                   const std::string& after_asset_id, int page_size, v1::Ledger& out);
// The same from the journal's entries up to `as_of`.
void LoadLedgerAsOf(pqxx::transaction_base& tx, const division::Code& division, v1::LedgerKind kind,
                    absl::Time as_of, const std::string& after_asset_id, int page_size,
                    v1::Ledger& out);

struct ReconcileRows {
  std::vector<MasterRow> master;
  std::vector<SubledgerRow> subledgers;
  std::vector<JournalRow> journal;
};
ReconcileRows LoadReconcileRows(pqxx::transaction_base& tx, const division::Code& division);

// ---- Income and distribution -----------------------------------------------------------
void InsertIncome(pqxx::transaction_base& tx, const v1::IncomeRecord& record);
// Income recorded for the period minus what was distributed of it.
money::Fen UndistributedIncome(pqxx::transaction_base& tx, const std::string& asset_id,
                               const std::string& period);
void InsertDistribution(pqxx::transaction_base& tx, const v1::Distribution& distribution);

// ---- Disposal -----------------------------------------------------------------------
void InsertDisposal(pqxx::transaction_base& tx, const v1::Disposal& disposal);
std::optional<v1::Disposal> FindDisposal(pqxx::transaction_base& tx, const std::string& disposal_id,
                                         bool lock);
void UpdateDisposal(pqxx::transaction_base& tx, const v1::Disposal& disposal);
// The asset's disposal that is pending or approved, if any.
std::optional<std::string> FindOpenDisposal(pqxx::transaction_base& tx,
                                            const std::string& asset_id);
void CreditVillage(pqxx::transaction_base& tx, const std::string& disposal_id,
                   const std::string& village_code, money::Fen amount_fen);

// ---- Inspections, certificates, roll-ups, collective economy ----------------------------
void InsertInspection(pqxx::transaction_base& tx, const v1::Inspection& inspection);
void InsertCertificate(pqxx::transaction_base& tx, const v1::Certificate& certificate);
v1::BookCheckReport LoadBookCheckReport(pqxx::transaction_base& tx, const division::Code& division);
// Figures of `division` (prefix pattern) and of its children, grouped by the
// first `child_digits` digits of the location (0: no children).
v1::AssetRollup LoadRollup(pqxx::transaction_base& tx, const division::Code& division,
                           int child_digits);
void InsertCollectiveIncome(pqxx::transaction_base& tx, const v1::CollectiveIncome& income);
// Income of the year per village: from assets the village collective owns,
// and from other recorded sources.
std::vector<VillageIncome> LoadVillageIncomes(pqxx::transaction_base& tx,
                                              const division::Code& division, int year);
// Every village inside `division` that owns (collective or household
// assets) or hosts (location) an asset of this instance.
std::vector<std::string> LoadAssetVillages(pqxx::transaction_base& tx,
                                           const division::Code& division);

// ---- Policy ---------------------------------------------------------------------------
void InsertPolicy(pqxx::transaction_base& tx, const v1::AssetsPolicy& policy);
// Every published policy whose owner is `division` or one of its ancestors.
std::vector<PublishedPolicy> LoadPoliciesFor(pqxx::transaction_base& tx,
                                             const division::Code& division);

}  // namespace zx::assets
