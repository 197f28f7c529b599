#!/usr/bin/python3
"""Structural checks of the rendered Kubernetes manifests (k8s/), offline.

    check_manifests.py [--kubectl PATH] [--repo DIR] [--protoc PATH|none]
                       [OVERLAY_DIR ...]

For each overlay (default: every directory under k8s/overlays/) runs
`kubectl kustomize <overlay>`, parses every document and checks:

  * every object: apiVersion, kind, metadata.name; a known kind with its
    apiVersion; the overlay's namespace (from its kustomization.yaml) on every
    namespaced object; no duplicate kind/name;
  * Deployments and Jobs: selector within the pod labels (Deployment); per
    container an image, resources.requests and .limits (cpu and memory),
    liveness and readiness probes (Deployment), read-only root file system,
    no privilege escalation, runAsNonRoot; exec probes running zx-grpc-health
    on the container's ZX_GRPC_PORT; every ConfigMap/Secret (and key) used by
    env, envFrom and volumes exists in the render; volume mounts name volumes;
    the service account exists; every ZX_* variable is a flag of
    common/config/config.cc (no invented flags); enableServiceLinks: false;
  * Services select the pods of a Deployment and target their ports, unless
    external (ExternalName, or no selector with an Endpoints object);
    PodDisruptionBudgets, HorizontalPodAutoscalers and ServiceMonitors point
    at something that exists; a Deployment scaled by an HPA sets no replicas;
  * federation config (ConfigMap data *.txtpb): parses as
    zx.federation.v1.FederationConfig (with protoc, when available), its
    level matches ZX_DIVISION_CODE, and local_services' monitoring address is
    a monitoring container in the federation pod;
  * completeness: for each of the five services a Deployment, Service, PDB,
    ServiceMonitor and migration Job; an HPA for the four stateless ones and
    none for federation; a default-deny ingress NetworkPolicy; the Secrets;
    the external PostgreSQL and Redis Services.

Prints a summary per overlay (objects by kind) and every problem; exits 1 if
there is any problem. Needs /usr/bin/python3 and python3-yaml only (kubectl
from --kubectl; protoc optional).
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

SERVICES = ("monitoring", "assets", "employment", "consumption", "federation")
STATELESS = ("monitoring", "assets", "employment", "consumption")
REQUIRED_SECRETS = ("zx-postgres", "zx-token-keys", "zx-personal-data-keys", "zx-tls")
EXTERNAL_SERVICES = ("zx-postgres", "zx-redis")

API_VERSIONS = {
    "Namespace": "v1",
    "ServiceAccount": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Endpoints": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "PodDisruptionBudget": "policy/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "NetworkPolicy": "networking.k8s.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
}
CLUSTER_SCOPED = {"Namespace"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
ALWAYS_ALLOWED_ENV = {"PGPASSWORD", "TZ"}


def known_env_names(repo):
    """ZX_* names the services read (envname(...) in common/config/config.cc),
    or None when the file is not there."""
    path = os.path.join(repo, "common", "config", "config.cc")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    names = set(re.findall(r'envname\("([A-Z0-9_]+)"\)', text))
    return names or None


def division_level(code):
    """county | prefecture | region | None for a 12-digit division code."""
    if not re.fullmatch(r"\d{12}", code or ""):
        return None
    if code[2:] == "0" * 10:
        return "region"
    if code[4:] == "0" * 8:
        return "prefecture"
    if code[6:] == "0" * 6:
        return "county"
    return None


def _get(obj, *path, default=None):
    for p in path:
        if isinstance(obj, dict):
            obj = obj.get(p)
        elif isinstance(obj, list) and isinstance(p, int) and -len(obj) <= p < len(obj):
            obj = obj[p]
        else:
            return default
        if obj is None:
            return default
    return obj


def _subset(small, big):
    return bool(small) and all(big.get(k) == v for k, v in small.items())


def _ref(doc):
    return "%s/%s" % (doc.get("kind", "?"), _get(doc, "metadata", "name", default="?"))


class Render:
    """The documents of one render, indexed."""

    def __init__(self, docs):
        self.docs = docs
        self.by_kind = collections.defaultdict(list)
        for d in docs:
            if isinstance(d, dict):
                self.by_kind[d.get("kind")].append(d)

    def named(self, kind, name):
        for d in self.by_kind.get(kind, []):
            if _get(d, "metadata", "name") == name:
                return d
        return None

    def workloads(self):
        for kind in sorted(WORKLOADS):
            for d in self.by_kind.get(kind, []):
                yield d

    def pod_templates(self, kinds=("Deployment", "StatefulSet")):
        for kind in kinds:
            for d in self.by_kind.get(kind, []):
                yield d, _get(d, "spec", "template", default={})


def container_env(container):
    out = {}
    for e in container.get("env") or []:
        if isinstance(e, dict) and "name" in e:
            out[e["name"]] = e.get("value")
    return out


def check_documents(docs, namespace=None, complete=True, known_env=None, protoc=None,
                    proto_root=None):
    """All problems of one render, as strings (empty: none)."""
    problems = []

    def bad(doc, msg):
        problems.append("%s: %s" % (_ref(doc) if isinstance(doc, dict) else "?", msg))

    render = Render([d for d in docs if isinstance(d, dict)])
    for d in docs:
        if not isinstance(d, dict):
            problems.append("document is not a mapping: %r" % (d,))

    # -- every object ---------------------------------------------------------
    seen = collections.Counter()
    for d in render.docs:
        kind, api, name = d.get("kind"), d.get("apiVersion"), _get(d, "metadata", "name")
        if not api:
            bad(d, "no apiVersion")
        if not kind:
            bad(d, "no kind")
        if not name:
            bad(d, "no metadata.name")
        if kind and kind not in API_VERSIONS:
            bad(d, "unknown kind %s (the checker knows %s)" % (kind, ", ".join(sorted(API_VERSIONS))))
        elif kind and api and API_VERSIONS[kind] != api:
            bad(d, "apiVersion %s, expected %s for %s" % (api, API_VERSIONS[kind], kind))
        ns = _get(d, "metadata", "namespace")
        if kind in CLUSTER_SCOPED:
            if ns:
                bad(d, "cluster-scoped object with namespace %s" % ns)
        elif namespace is not None and ns != namespace:
            bad(d, "namespace %s, expected %s" % (ns, namespace))
        seen[(kind, ns, name)] += 1
    for (kind, ns, name), n in sorted(seen.items(), key=str):
        if n > 1:
            problems.append("%s/%s: %d objects with this kind and name" % (kind, name, n))

    # -- ConfigMaps and Secrets ---------------------------------------------
    def data_keys(kind, name):
        d = render.named(kind, name)
        if d is None:
            return None
        keys = set((d.get("data") or {}).keys())
        keys |= set((d.get("binaryData") or {}).keys())
        if kind == "Secret":
            keys |= set((d.get("stringData") or {}).keys())
        return keys

    def need(doc, kind, name, key=None, optional=False, where=""):
        if optional:
            return
        if not name:
            bad(doc, "%s reference without a name%s" % (kind, where))
            return
        keys = data_keys(kind, name)
        if keys is None:
            bad(doc, "%s %s%s is not in the render" % (kind, name, where))
        elif key is not None and key not in keys:
            bad(doc, "%s %s has no key %s%s" % (kind, name, key, where))

    # -- workloads ----------------------------------------------------------
    for d in render.workloads():
        kind = d["kind"]
        template = _get(d, "spec", "template", default={})
        pod_labels = _get(template, "metadata", "labels", default={}) or {}
        spec = _get(template, "spec", default={}) or {}
        if kind != "Job":
            selector = _get(d, "spec", "selector", "matchLabels", default={}) or {}
            if not selector:
                bad(d, "spec.selector.matchLabels is empty")
            elif not _subset(selector, pod_labels):
                bad(d, "spec.selector.matchLabels %s not within the pod labels %s"
                    % (selector, pod_labels))
        elif spec.get("restartPolicy") not in ("Never", "OnFailure"):
            bad(d, "a Job's pods need restartPolicy Never or OnFailure")
        if spec.get("enableServiceLinks") is not False:
            bad(d, "enableServiceLinks must be false (service variables share the ZX_ prefix)")
        sa = spec.get("serviceAccountName")
        if sa and sa != "default" and render.named("ServiceAccount", sa) is None:
            bad(d, "ServiceAccount %s is not in the render" % sa)
        pod_sc = spec.get("securityContext") or {}
        containers = spec.get("containers") or []
        if not containers:
            bad(d, "no containers")
        volumes = {}
        for v in spec.get("volumes") or []:
            volumes[v.get("name")] = v
            where = " (volume %s)" % v.get("name")
            if "configMap" in v:
                cm = v["configMap"]
                for it in cm.get("items") or [{}]:
                    need(d, "ConfigMap", cm.get("name"), it.get("key"), cm.get("optional"), where)
            if "secret" in v:
                sec = v["secret"]
                for it in sec.get("items") or [{}]:
                    need(d, "Secret", sec.get("secretName"), it.get("key"), sec.get("optional"), where)
            for src in _get(v, "projected", "sources", default=[]) or []:
                for k, kind2 in (("configMap", "ConfigMap"), ("secret", "Secret")):
                    if k in src:
                        for it in src[k].get("items") or [{}]:
                            need(d, kind2, src[k].get("name"), it.get("key"),
                                 src[k].get("optional"), where)
        for c in list(containers) + list(spec.get("initContainers") or []):
            cname = c.get("name", "?")
            where = " (container %s)" % cname
            is_init = c in (spec.get("initContainers") or [])
            if not c.get("image"):
                bad(d, "container %s has no image" % cname)
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                got = res.get(part) or {}
                missing = [r for r in ("cpu", "memory") if r not in got]
                if not got:
                    bad(d, "container %s has no resources.%s" % (cname, part))
                elif missing:
                    bad(d, "container %s: resources.%s lacks %s" % (cname, part, ", ".join(missing)))
            if kind != "Job" and not is_init:
                for probe in ("livenessProbe", "readinessProbe"):
                    if not c.get(probe):
                        bad(d, "container %s has no %s" % (cname, probe))
            csc = c.get("securityContext") or {}
            if csc.get("readOnlyRootFilesystem") is not True:
                bad(d, "container %s: securityContext.readOnlyRootFilesystem must be true" % cname)
            if csc.get("allowPrivilegeEscalation") is not False:
                bad(d, "container %s: securityContext.allowPrivilegeEscalation must be false" % cname)
            if csc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                bad(d, "container %s: runAsNonRoot must be true (pod or container)" % cname)
            env = container_env(c)
            env_names = [e.get("name") for e in c.get("env") or [] if isinstance(e, dict)]
            for e in c.get("env") or []:
                ref = _get(e, "valueFrom", "configMapKeyRef")
                if ref:
                    need(d, "ConfigMap", ref.get("name"), ref.get("key"), ref.get("optional"), where)
                ref = _get(e, "valueFrom", "secretKeyRef")
                if ref:
                    need(d, "Secret", ref.get("name"), ref.get("key"), ref.get("optional"), where)
            for ef in c.get("envFrom") or []:
                if "configMapRef" in ef:
                    ref = ef["configMapRef"]
                    need(d, "ConfigMap", ref.get("name"), None, ref.get("optional"), where)
                    cm = render.named("ConfigMap", ref.get("name"))
                    if cm is not None and not ef.get("prefix"):
                        env_names.extend((cm.get("data") or {}).keys())
                        for k, v in (cm.get("data") or {}).items():
                            env.setdefault(k, v)
                if "secretRef" in ef:
                    ref = ef["secretRef"]
                    need(d, "Secret", ref.get("name"), None, ref.get("optional"), where)
            if known_env is not None:
                for n in sorted(set(env_names)):
                    if n and n.startswith("ZX_") and n not in known_env:
                        bad(d, "container %s: %s is not a flag of common/config/config.cc" % (cname, n))
            for m in c.get("volumeMounts") or []:
                if m.get("name") not in volumes:
                    bad(d, "container %s mounts undefined volume %s" % (cname, m.get("name")))
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                cmd = _get(c, probe, "exec", "command", default=[]) or []
                if cmd and os.path.basename(str(cmd[0])) == "zx-grpc-health":
                    port = str(cmd[1]) if len(cmd) > 1 else ""
                    if port != str(env.get("ZX_GRPC_PORT")):
                        bad(d, "container %s: %s checks port %s, but ZX_GRPC_PORT is %s"
                            % (cname, probe, port or "(none)", env.get("ZX_GRPC_PORT")))
                grpc_port = _get(c, probe, "grpc", "port")
                if grpc_port is not None and str(grpc_port) != str(env.get("ZX_GRPC_PORT")):
                    bad(d, "container %s: %s grpc port %s, but ZX_GRPC_PORT is %s"
                        % (cname, probe, grpc_port, env.get("ZX_GRPC_PORT")))

    # -- Services -------------------------------------------------------------
    pods = list(render.pod_templates())

    def pods_matching(selector):
        return [(d, t) for d, t in pods if _subset(selector, _get(t, "metadata", "labels", default={}) or {})]

    def container_ports(template):
        names, numbers = set(), set()
        for c in _get(template, "spec", "containers", default=[]) or []:
            for p in c.get("ports") or []:
                if p.get("name"):
                    names.add(p["name"])
                if p.get("containerPort") is not None:
                    numbers.add(int(p["containerPort"]))
        return names, numbers

    def is_external(svc):
        spec = svc.get("spec") or {}
        return spec.get("type") == "ExternalName" or not spec.get("selector")

    for s in render.by_kind.get("Service", []):
        spec = s.get("spec") or {}
        if not spec.get("ports") and spec.get("type") != "ExternalName":
            bad(s, "no ports")
        if spec.get("type") == "ExternalName":
            if not spec.get("externalName"):
                bad(s, "type ExternalName without spec.externalName")
            continue
        if not spec.get("selector"):
            if render.named("Endpoints", _get(s, "metadata", "name")) is None:
                bad(s, "no selector and no Endpoints of the same name")
            continue
        matched = pods_matching(spec["selector"])
        if not matched:
            bad(s, "selector %s matches no Deployment's pods" % spec["selector"])
            continue
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            for d, t in matched:
                names, numbers = container_ports(t)
                if isinstance(target, str) and not target.isdigit():
                    ok = target in names
                else:
                    ok = int(target) in numbers
                if not ok:
                    bad(s, "port %s: targetPort %s is not a container port of %s"
                        % (p.get("name", p.get("port")), target, _ref(d)))

    # -- PDBs, HPAs, ServiceMonitors, NetworkPolicies ---------------------------
    for p in render.by_kind.get("PodDisruptionBudget", []):
        sel = _get(p, "spec", "selector", "matchLabels", default={}) or {}
        if not sel:
            bad(p, "spec.selector.matchLabels is empty")
        elif not pods_matching(sel):
            bad(p, "selector %s matches no Deployment's pods" % sel)
        spec = p.get("spec") or {}
        if "minAvailable" not in spec and "maxUnavailable" not in spec:
            bad(p, "neither minAvailable nor maxUnavailable")

    for h in render.by_kind.get("HorizontalPodAutoscaler", []):
        ref = _get(h, "spec", "scaleTargetRef", default={}) or {}
        target = render.named(ref.get("kind"), ref.get("name"))
        if target is None:
            bad(h, "scaleTargetRef %s/%s is not in the render" % (ref.get("kind"), ref.get("name")))
        lo, hi = _get(h, "spec", "minReplicas", default=1), _get(h, "spec", "maxReplicas")
        if hi is None:
            bad(h, "no spec.maxReplicas")
        elif lo < 1 or lo > hi:
            bad(h, "minReplicas %s / maxReplicas %s" % (lo, hi))
        if not _get(h, "spec", "metrics"):
            bad(h, "no spec.metrics")
        if target is not None and _get(target, "spec", "replicas") is not None:
            bad(target, "spec.replicas is set, but HorizontalPodAutoscaler/%s owns the count "
                "(every apply would reset it)" % _get(h, "metadata", "name"))

    for m in render.by_kind.get("ServiceMonitor", []):
        sel = _get(m, "spec", "selector", "matchLabels", default={}) or {}
        services = [s for s in render.by_kind.get("Service", [])
                    if sel and _subset(sel, _get(s, "metadata", "labels", default={}) or {})]
        if not services:
            bad(m, "selector %s matches no Service's labels" % sel)
        endpoints = _get(m, "spec", "endpoints", default=[]) or []
        if not endpoints:
            bad(m, "no spec.endpoints")
        for e in endpoints:
            port = e.get("port")
            for s in services:
                names = {p.get("name") for p in _get(s, "spec", "ports", default=[]) or []}
                if port not in names:
                    bad(m, "endpoint port %s is not a port of %s" % (port, _ref(s)))

    for n in render.by_kind.get("NetworkPolicy", []):
        if not isinstance(_get(n, "spec", "podSelector"), dict):
            bad(n, "no spec.podSelector")

    # -- federation config ------------------------------------------------------
    instance = {}
    for cm in render.by_kind.get("ConfigMap", []):
        data = cm.get("data") or {}
        if "ZX_DIVISION_CODE" in data:
            instance = data
    for cm in render.by_kind.get("ConfigMap", []):
        for key, text in (cm.get("data") or {}).items():
            if not key.endswith(".txtpb"):
                continue
            problems.extend("%s: %s: %s" % (_ref(cm), key, p)
                            for p in check_federation_config(text, instance, render, protoc, proto_root))

    # -- completeness -----------------------------------------------------------
    if complete:
        problems.extend(check_complete(render, pods_matching, is_external))
    return problems


def check_federation_config(text, instance, render, protoc, proto_root):
    problems = []
    m = re.search(r"^\s*level:\s*LEVEL_([A-Z]+)", text, re.M)
    want = division_level(instance.get("ZX_DIVISION_CODE"))
    if not m:
        problems.append("no level")
    elif want and m.group(1).lower() != want:
        problems.append("level LEVEL_%s, but ZX_DIVISION_CODE %s is a %s"
                        % (m.group(1), instance.get("ZX_DIVISION_CODE"), want))
    local = re.search(r"local_services\s*\{[^}]*name:\s*'monitoring'[^}]*address:\s*'([^']*)'", text)
    if local:
        host, _, port = local.group(1).rpartition(":")
        fed = render.named("Deployment", "zx-federation")
        ports = set()
        for c in _get(fed, "spec", "template", "spec", "containers", default=[]) or []:
            cmd = " ".join(str(x) for x in (c.get("command") or []))
            if "zx-monitoring" in cmd or "zx-monitoring" in str(c.get("image", "")):
                ports.add(str(container_env(c).get("ZX_GRPC_PORT")))
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            problems.append("local_services monitoring address %s is not loopback (plaintext is loopback-only)"
                            % local.group(1))
        elif fed is not None and port not in ports:
            problems.append("local_services monitoring port %s: no monitoring container with that "
                            "ZX_GRPC_PORT in Deployment/zx-federation (has %s)"
                            % (port, ", ".join(sorted(ports)) or "none"))
    if protoc and proto_root:
        proto = os.path.join("zx", "federation", "v1", "federation.proto")
        if os.path.exists(os.path.join(proto_root, proto)):
            includes = ["-I", proto_root]
            if os.path.isdir("/usr/include/google/protobuf"):
                includes += ["-I", "/usr/include"]
            r = subprocess.run([protoc] + includes + ["--encode=zx.federation.v1.FederationConfig", proto],
                               input=text.encode(), capture_output=True)
            if r.returncode != 0:
                problems.append("not a FederationConfig: " + r.stderr.decode(errors="replace").strip())
    return problems


def check_complete(render, pods_matching, is_external):
    problems = []

    def missing(what):
        problems.append("incomplete: " + what)

    for svc in SERVICES:
        name = "zx-" + svc
        dep = render.named("Deployment", name)
        if dep is None:
            missing("no Deployment %s" % name)
            continue
        labels = _get(dep, "spec", "template", "metadata", "labels", default={}) or {}
        s = render.named("Service", name)
        if s is None or is_external(s) or not _subset(_get(s, "spec", "selector", default={}) or {}, labels):
            missing("no Service %s selecting the pods of Deployment %s" % (name, name))
        if not any(_subset(_get(p, "spec", "selector", "matchLabels", default={}) or {}, labels)
                   for p in render.by_kind.get("PodDisruptionBudget", [])):
            missing("no PodDisruptionBudget for the pods of Deployment %s" % name)
        hpas = [h for h in render.by_kind.get("HorizontalPodAutoscaler", [])
                if _get(h, "spec", "scaleTargetRef", "kind") == "Deployment"
                and _get(h, "spec", "scaleTargetRef", "name") == name]
        if svc in STATELESS and not hpas:
            missing("no HorizontalPodAutoscaler for Deployment %s" % name)
        if svc not in STATELESS and hpas:
            problems.append("HorizontalPodAutoscaler/%s: %s must not autoscale (per-peer delivery workers)"
                            % (_get(hpas[0], "metadata", "name"), name))
        if s is not None and not any(
                _subset(_get(m, "spec", "selector", "matchLabels", default={}) or {},
                        _get(s, "metadata", "labels", default={}) or {})
                for m in render.by_kind.get("ServiceMonitor", [])):
            missing("no ServiceMonitor selecting Service %s" % name)
        image = "/zx-%s:" % svc
        if not any(any(image in (c.get("image") or "") for c in
                       _get(j, "spec", "template", "spec", "containers", default=[]) or [])
                   for j in render.by_kind.get("Job", [])):
            missing("no migration Job running the %s image" % name)
    policies = render.by_kind.get("NetworkPolicy", [])
    if not policies:
        missing("no NetworkPolicy")
    elif not any(_get(p, "spec", "podSelector") == {} and "Ingress" in (_get(p, "spec", "policyTypes", default=[]) or [])
                 and not _get(p, "spec", "ingress") for p in policies):
        missing("no default-deny ingress NetworkPolicy (podSelector {}, policyTypes [Ingress], no rules)")
    for name in REQUIRED_SECRETS:
        if render.named("Secret", name) is None:
            missing("no Secret %s" % name)
    for name in EXTERNAL_SERVICES:
        s = render.named("Service", name)
        if s is None:
            missing("no Service %s (external)" % name)
        elif not is_external(s):
            problems.append("Service/%s: must be external (ExternalName, or no selector + Endpoints)" % name)
    return problems


def render_overlay(kubectl, overlay):
    """(documents, error text or None)."""
    try:
        r = subprocess.run([kubectl, "kustomize", overlay], capture_output=True, text=True, timeout=120)
    except OSError as e:
        return None, "cannot run %s: %s" % (kubectl, e)
    except subprocess.TimeoutExpired:
        return None, "%s kustomize %s timed out" % (kubectl, overlay)
    if r.returncode != 0:
        return None, "%s kustomize %s failed (%d): %s" % (kubectl, overlay, r.returncode, r.stderr.strip())
    try:
        return [d for d in yaml.safe_load_all(r.stdout) if d is not None], None
    except yaml.YAMLError as e:
        return None, "the render is not YAML: %s" % e


def overlay_namespace(overlay):
    try:
        with open(os.path.join(overlay, "kustomization.yaml"), encoding="utf-8") as f:
            return (yaml.safe_load(f) or {}).get("namespace")
    except OSError:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("overlays", nargs="*", help="overlay directories (default: k8s/overlays/*)")
    ap.add_argument("--kubectl", default="kubectl", help="kubectl to render with (default: kubectl on PATH)")
    ap.add_argument("--repo", default=DEFAULT_REPO, help="repository root (default: from this file)")
    ap.add_argument("--protoc", default="auto",
                    help="protoc to parse federation configs with; 'none' skips (default: protoc on PATH)")
    ap.add_argument("--no-complete", action="store_true", help="skip the completeness checks")
    args = ap.parse_args(argv)

    overlays = args.overlays
    if not overlays:
        root = os.path.join(args.repo, "k8s", "overlays")
        overlays = sorted(os.path.join(root, d) for d in os.listdir(root)
                          if os.path.isfile(os.path.join(root, d, "kustomization.yaml")))
    protoc = None
    if args.protoc == "auto":
        protoc = shutil.which("protoc")
    elif args.protoc != "none":
        protoc = args.protoc
    known_env = known_env_names(args.repo)
    if known_env is None:
        print("note: %s/common/config/config.cc not found: ZX_* names not checked" % args.repo)
    if protoc is None:
        print("note: no protoc: federation configs are not parsed")

    total = 0
    for overlay in overlays:
        label = os.path.relpath(overlay, args.repo) if os.path.isabs(overlay) else overlay
        namespace = overlay_namespace(overlay)
        docs, error = render_overlay(args.kubectl, overlay)
        if error:
            print("%s: RENDER FAILED\n  PROBLEM %s" % (label, error))
            total += 1
            continue
        problems = check_documents(docs, namespace=namespace, complete=not args.no_complete,
                                   known_env=known_env, protoc=protoc,
                                   proto_root=os.path.join(args.repo, "protos"))
        counts = collections.Counter(d.get("kind", "?") for d in docs if isinstance(d, dict))
        print("%s (namespace %s): %d objects: %s" % (
            label, namespace, len(docs), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        for p in problems:
            print("  PROBLEM " + p)
        print("  %s" % ("ok" if not problems else "%d problem(s)" % len(problems)))
        total += len(problems)
    if total:
        print("check_manifests: %d problem(s)" % total)
        return 1
    print("check_manifests: %d overlay(s) ok" % len(overlays))
    return 0


if __name__ == "__main__":
    sys.exit(main())
