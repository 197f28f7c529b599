"""The one place that makes the generated Python stubs importable.

The build writes stubs into <build>/python, including grpc/health/v1/...; that
directory must never shadow the real grpcio package. So: import the real
`grpc` first, append <build>/python to the END of sys.path (for zx.*,
google.rpc.*), and add <build>/python/grpc to the real package's __path__ so
`grpc.health.v1` resolves to the generated health stubs.

    import zx_grpc
    grpc = zx_grpc.setup()            # or setup(build_dir="build-asan")
    from grpc.health.v1 import health_pb2, health_pb2_grpc

Run with /usr/bin/python3 (Debian's python3-grpcio / python3-protobuf).
"""
import os
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Local probes must never go through an HTTP proxy from the environment.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]


def python_dir(build_dir=None):
    build_dir = build_dir or os.environ.get("ZX_BUILD_DIR") or os.path.join(REPO_ROOT, "build")
    return os.path.join(os.path.abspath(build_dir), "python")


def setup(build_dir=None):
    """Make the generated stubs importable; return the real grpc module."""
    try:
        import grpc  # the real grpcio, resolved before build/python is on sys.path
    except ImportError:
        sys.exit(f"zx: the grpc module is missing for {sys.executable}; "
                 "run the tools with /usr/bin/python3 (apt package python3-grpcio)")
    if not hasattr(grpc, "insecure_channel"):
        sys.exit(f"zx: 'import grpc' resolved to {list(getattr(grpc, '__path__', []))}, "
                 "not grpcio; run with /usr/bin/python3 and keep build/python off PYTHONPATH")
    py = python_dir(build_dir)
    if not os.path.isfile(os.path.join(py, "grpc", "health", "v1", "health_pb2.py")):
        sys.exit(f"zx: generated Python stubs not found in {py}; run ./zx build")
    if py not in sys.path:
        sys.path.append(py)
    health_dir = os.path.join(py, "grpc")
    if health_dir not in grpc.__path__:
        grpc.__path__.append(health_dir)
    return grpc


def channel(grpc, target):
    return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
