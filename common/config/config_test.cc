#include "common/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/errors/errors.h"

namespace zx::config {
namespace {

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : errors::FieldViolationsOf(s)) out.push_back(v.field);
  return out;
}

ServiceConfig Valid() {
  ServiceConfig c;
  c.service = "monitoring";
  c.instance = "shufu";
  c.division_code = "653121000000";
  c.grpc_port = 7110;
  c.metrics_port = 9110;
  c.pg = "host=127.0.0.1 port=5432 dbname=zx";
  c.redis = "127.0.0.1:6379";
  c.allow_dev_tokens = true;
  return c;
}

TEST(ConfigTest, ValidConfigDerivesRedisAndNamespace) {
  ServiceConfig c = Valid();
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(c.redis_host, "127.0.0.1");
  EXPECT_EQ(c.redis_port, 6379);
  EXPECT_EQ(c.redis_namespace, "zx:653121");
}

TEST(ConfigTest, ShortDivisionCodeIsNormalised) {
  ServiceConfig c = Valid();
  c.division_code = "6531";
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(c.division_code, "653100000000");
}

TEST(ConfigTest, EachBadFieldIsNamed) {
  ServiceConfig c = Valid();
  c.instance = "Shufu County";
  c.division_code = "65312";
  c.grpc_port = -1;
  c.metrics_port = 70000;
  c.pg = "";
  c.redis = "localhost";
  c.log_level = "loud";
  const absl::Status s = Validate(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(s),
            (std::vector<std::string>{"--instance", "--division", "--grpc-port", "--metrics-port",
                                      "--pg", "--redis", "--log-level"}));
}

TEST(ConfigTest, PersonalDataKeysRequiredOutsideDevelopment) {
  ServiceConfig c = Valid();
  c.allow_dev_tokens = false;
  EXPECT_EQ(Fields(Validate(c)), std::vector<std::string>{"--personal-data-keys"});
  c.personal_data_keys_file = "/etc/zx/personal-data.keys";
  EXPECT_TRUE(Validate(c).ok());
  c.allow_dev_tokens = true;
  c.personal_data_keys_file.clear();
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ConfigTest, PortZeroMeansEphemeral) {
  ServiceConfig c = Valid();
  c.grpc_port = 0;
  c.metrics_port = 0;
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ConfigTest, VillageLevelInstanceIsRefused) {
  ServiceConfig c = Valid();
  c.division_code = "653121001002";
  EXPECT_EQ(Fields(Validate(c)), std::vector<std::string>{"--division"});
}

TEST(ConfigTest, PlaintextOnlyOnLoopback) {
  ServiceConfig c = Valid();
  c.host = "0.0.0.0";
  EXPECT_EQ(Fields(Validate(c)), std::vector<std::string>{"--host"});
  c.host = "127.0.0.2";
  EXPECT_TRUE(Validate(c).ok());
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.256"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
}

TEST(ConfigTest, IdempotencyRetentionIsForeverOrAtLeastAWeek) {
  ServiceConfig c = Valid();
  EXPECT_EQ(c.idempotency_retention_days, 90);
  for (int days : {0, 7, 3650}) {
    c.idempotency_retention_days = days;
    EXPECT_TRUE(Validate(c).ok()) << days;
  }
  for (int days : {-1, 1, 6, 3651}) {
    c.idempotency_retention_days = days;
    EXPECT_EQ(Fields(Validate(c)), std::vector<std::string>{"--idempotency-retention-days"})
        << days;
  }
  c.idempotency_retention_days = 0;
  EXPECT_NE(Describe(c).find("idempotency_retention_days=forever"), std::string::npos);
}

TEST(ConfigTest, ConninfoPasswordsAreRedacted) {
  EXPECT_EQ(RedactConninfo("host=a password=s3cret dbname=b"), "host=a password=*** dbname=b");
  EXPECT_EQ(RedactConninfo("postgresql://zx:s3cret@db/zx"), "postgresql://zx:***@db/zx");
  ServiceConfig c = Valid();
  c.pg = "host=a password='two words'";
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(Describe(c).find("two words"), std::string::npos);
  EXPECT_NE(Describe(c).find("instance=shufu"), std::string::npos);
}

TEST(ConfigTest, FlagsAndEnvironmentAreParsed) {
  setenv("ZX_PG", "host=127.0.0.1 dbname=from_env", 1);
  setenv("ZX_ALLOW_DEV_TOKENS", "true", 1);
  const char* argv[] = {"zx-monitoring", "--instance", "shule",          "--division", "653122",
                        "--grpc-port",   "7120",       "--metrics-port", "9120"};
  auto c = ParseServiceConfig("monitoring", 9, argv);
  unsetenv("ZX_PG");
  unsetenv("ZX_ALLOW_DEV_TOKENS");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->division_code, "653122000000");
  EXPECT_EQ(c->pg, "host=127.0.0.1 dbname=from_env");
  EXPECT_TRUE(c->allow_dev_tokens);
  EXPECT_EQ(c->grpc_port, 7120);
}

TEST(ConfigTest, UnknownFlagIsAnError) {
  const char* argv[] = {"zx-monitoring", "--no-such-flag"};
  auto c = ParseServiceConfig("monitoring", 2, argv);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zx::config
