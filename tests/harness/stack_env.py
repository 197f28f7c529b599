"""Reads the env file that tests/harness/stack.sh writes: KEY=VALUE lines,
values unquoted and running to the end of the line (ZX_TEST_PG has spaces)."""


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env
