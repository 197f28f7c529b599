// zxctl — the command line of zhenxing over gRPC (docs/OPERATIONS.md, "zxctl").
//
//   zxctl [--instance NAME] [--token T] [--output table|json|csv] <command> ...
//
// Every command names the instance it talks to (default: the prefecture of
// the instances file) and prints aligned tables for people, JSON or CSV for
// scripts. Exit codes: tools/zxctl/zxctl.h (Exit).
#include <sodium.h>

#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/zxctl/zxctl.h"

int main(int argc, char** argv) {
  if (sodium_init() < 0) return zx::zxctl::kServerError;
  zx::zxctl::Options options;
  CLI::App app{"zxctl: operate and query zhenxing instances over gRPC"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Every command with its options");
  app.add_option("--instance,-i", options.instance,
                 "Instance name or division code (default: the prefecture)")
      ->envname("ZX_INSTANCE");
  app.add_option("--token", options.token,
                 "Bearer token (default $ZX_TOKEN; else a development token for loopback)");
  app.add_option("--role", options.role,
                 "Role of the development token (default: the command's usual role)");
  app.add_option("--user", options.user, "User id of the development token");
  app.add_option("--output,-o", options.output, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  app.add_option("--instances-file", options.instances_file,
                 "Instances and ports (default $ZX_INSTANCES_FILE or deploy/local/instances.tsv)");
  app.add_option("--host", options.host, "Address the services listen on");
  app.add_option("--timeout", options.timeout_seconds, "Deadline of each call, seconds")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_flag("--no-colour,--no-color", options.no_colour, "No ANSI colour markers");

  zx::zxctl::Session session(options);
  int exit_code = zx::zxctl::kOk;
  zx::zxctl::AddOperationsCommands(app, session, exit_code);
  zx::zxctl::AddMonitoringCommands(app, session, exit_code);
  zx::zxctl::AddDomainCommands(app, session, exit_code);
  zx::zxctl::AddFederationCommands(app, session, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return zx::zxctl::kUsage;
  }
  return exit_code;
}
