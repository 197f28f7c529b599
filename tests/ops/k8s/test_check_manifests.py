#!/usr/bin/python3
"""Tests of check_manifests.py: a complete, valid manifest set built here
passes; each deliberate defect in a copy of it is reported. With a kubectl
(ZX_KUBECTL, else kubectl on PATH) the real overlays are rendered and must
pass, and a broken overlay must fail the command line.

    /usr/bin/python3 tests/ops/k8s/test_check_manifests.py [-v]
"""
import copy
import io
import os
import shutil
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import check_manifests as cm  # noqa: E402

NS = "zx-test"
PORTS = {s: i for i, s in enumerate(cm.SERVICES)}


def labels(svc, component="server"):
    return {"app.kubernetes.io/name": "zx-" + svc, "app.kubernetes.io/component": component}


def container(svc, port=None):
    port = 7100 + PORTS[svc] if port is None else port
    probe = {"exec": {"command": ["zx-grpc-health", str(port)]}}
    return {
        "name": svc,
        "image": "registry.example.gov.cn/zhenxing/zx-%s:1" % svc,
        "envFrom": [{"configMapRef": {"name": "zx-instance-abc"}}],
        "env": [{"name": "ZX_GRPC_PORT", "value": str(port)},
                {"name": "ZX_TLS_PORT", "value": str(port + 1000)},
                {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "zx-postgres", "key": "password"}}}],
        "ports": [{"name": "grpc-tls", "containerPort": port + 1000},
                  {"name": "metrics", "containerPort": 9200 + PORTS[svc]}],
        "livenessProbe": copy.deepcopy(probe),
        "readinessProbe": copy.deepcopy(probe),
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}},
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
        "volumeMounts": [{"name": "keys", "mountPath": "/etc/zhenxing/keys"}],
    }


def pod_spec(containers):
    return {
        "serviceAccountName": "zx-service",
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True},
        "containers": containers,
        "volumes": [{"name": "keys", "projected": {"sources": [
            {"secret": {"name": "zx-token-keys", "items": [{"key": "token.keys", "path": "token.keys"}]}},
            {"secret": {"name": "zx-personal-data-keys"}}]}},
            {"name": "tls", "secret": {"secretName": "zx-tls"}}],
    }


def meta(name, **extra):
    m = {"name": name, "namespace": NS}
    m.update(extra)
    return m


def valid_docs():
    """A complete manifest set for one instance, as the checker wants it."""
    docs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("zx-service")},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("zx-instance-abc"),
         "data": {"ZX_INSTANCE": "shufu", "ZX_DIVISION_CODE": "653121000000", "ZX_HOST": "127.0.0.1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("zx-federation-abc"),
         "data": {"federation.txtpb": "level: LEVEL_COUNTY\n"
                  "local_services { name: 'monitoring' address: '127.0.0.1:7100' }\n"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("zx-postgres"), "stringData": {"password": "x"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("zx-token-keys"), "stringData": {"token.keys": "#"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("zx-personal-data-keys"),
         "stringData": {"personal-data.keys": "#"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta("zx-tls"),
         "data": {"tls.crt": "", "tls.key": "", "ca.crt": ""}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("zx-postgres"),
         "spec": {"type": "ExternalName", "externalName": "pg.example", "ports": [{"port": 5432}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("zx-redis"),
         "spec": {"ports": [{"port": 6379}]}},
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta("zx-redis"),
         "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 6379}]}]},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("deny"),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    ]
    for svc in cm.SERVICES:
        name = "zx-" + svc
        containers = [container(svc)]
        spec = pod_spec(containers)
        if svc == "federation":
            containers[0]["env"].append({"name": "ZX_FEDERATION_CONFIG", "value": "/f/federation.txtpb"})
            containers.append(container("monitoring"))
            containers[1]["name"] = "monitoring-local"
            containers[1]["ports"] = []
            spec["volumes"].append({"name": "federation", "configMap": {"name": "zx-federation-abc"}})
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, labels=labels(svc)),
                     "spec": {"selector": {"matchLabels": labels(svc)},
                              "template": {"metadata": {"labels": labels(svc)}, "spec": spec}}})
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(name, labels=labels(svc)),
                     "spec": {"selector": labels(svc),
                              "ports": [{"name": "grpc-tls", "port": 8100 + PORTS[svc], "targetPort": "grpc-tls"},
                                        {"name": "metrics", "port": 9200 + PORTS[svc],
                                         "targetPort": 9200 + PORTS[svc]}]}})
        docs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name),
                     "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(svc)}}})
        if svc in cm.STATELESS:
            docs.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(name),
                         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                                  "minReplicas": 2, "maxReplicas": 4,
                                  "metrics": [{"type": "Resource", "resource": {"name": "cpu"}}]}})
        docs.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta(name),
                     "spec": {"selector": {"matchLabels": labels(svc)}, "endpoints": [{"port": "metrics"}]}})
        job = container(svc)
        del job["livenessProbe"], job["readinessProbe"]
        job_spec = pod_spec([job])
        job_spec["restartPolicy"] = "Never"
        docs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("zx-migrate-" + svc),
                     "spec": {"template": {"metadata": {"labels": labels(svc, "migration")}, "spec": job_spec}}})
    return docs


def find(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and d["metadata"]["name"] == name:
            return d
    raise KeyError((kind, name))


def pod(docs, name="zx-assets"):
    return find(docs, "Deployment", name)["spec"]["template"]["spec"]


class CheckerTest(unittest.TestCase):
    def problems(self, docs, **kw):
        kw.setdefault("namespace", NS)
        kw.setdefault("known_env", cm.known_env_names(REPO))
        return cm.check_documents(docs, **kw)

    def assertReported(self, docs, *fragments, **kw):
        problems = self.problems(docs, **kw)
        for fragment in fragments:
            self.assertTrue(any(fragment in p for p in problems),
                            "%r not reported; problems: %s" % (fragment, problems))
        return problems

    def test_valid_set_passes(self):
        self.assertEqual(self.problems(valid_docs()), [])

    def test_known_env_names_come_from_config_cc(self):
        names = cm.known_env_names(REPO)
        self.assertIsNotNone(names, "common/config/config.cc not found")
        for n in ("ZX_INSTANCE", "ZX_PG", "ZX_GRPC_PORT", "ZX_TLS_CERT", "ZX_FEDERATION_CONFIG"):
            self.assertIn(n, names)

    def test_deployment_without_probes(self):
        docs = valid_docs()
        c = pod(docs)["containers"][0]
        del c["livenessProbe"], c["readinessProbe"]
        self.assertReported(docs, "Deployment/zx-assets: container assets has no livenessProbe",
                            "Deployment/zx-assets: container assets has no readinessProbe")

    def test_service_selecting_nothing(self):
        docs = valid_docs()
        find(docs, "Service", "zx-employment")["spec"]["selector"] = {"app.kubernetes.io/name": "zx-nothing"}
        self.assertReported(docs, "Service/zx-employment: selector", "matches no Deployment's pods",
                            "incomplete: no Service zx-employment selecting")

    def test_missing_configmap_reference(self):
        docs = valid_docs()
        pod(docs)["containers"][0]["envFrom"].append({"configMapRef": {"name": "zx-missing"}})
        self.assertReported(docs, "Deployment/zx-assets: ConfigMap zx-missing (container assets) is not in the render")

    def test_optional_reference_may_be_missing(self):
        docs = valid_docs()
        pod(docs)["containers"][0]["envFrom"].append({"configMapRef": {"name": "zx-missing", "optional": True}})
        self.assertEqual(self.problems(docs), [])

    def test_missing_secret_and_key(self):
        docs = valid_docs()
        pod(docs)["containers"][0]["env"][2]["valueFrom"]["secretKeyRef"]["key"] = "pass"
        pod(docs, "zx-monitoring")["volumes"][1]["secret"]["secretName"] = "zx-tls-old"
        self.assertReported(docs, "Secret zx-postgres has no key pass",
                            "Deployment/zx-monitoring: Secret zx-tls-old (volume tls) is not in the render")

    def test_projected_secret_item_key(self):
        docs = valid_docs()
        pod(docs)["volumes"][0]["projected"]["sources"][0]["secret"]["items"][0]["key"] = "keys"
        self.assertReported(docs, "Secret zx-token-keys has no key keys (volume keys)")

    def test_job_configmap_reference(self):
        docs = valid_docs()
        job = find(docs, "Job", "zx-migrate-consumption")["spec"]["template"]["spec"]
        job["containers"][0]["envFrom"][0]["configMapRef"]["name"] = "zx-instance-old"
        self.assertReported(docs, "Job/zx-migrate-consumption: ConfigMap zx-instance-old")

    def test_selector_outside_pod_labels(self):
        docs = valid_docs()
        find(docs, "Deployment", "zx-assets")["spec"]["selector"]["matchLabels"]["tier"] = "x"
        self.assertReported(docs, "Deployment/zx-assets: spec.selector.matchLabels")

    def test_resources_and_image(self):
        docs = valid_docs()
        c = pod(docs)["containers"][0]
        del c["resources"]["limits"]
        del c["resources"]["requests"]["memory"]
        del c["image"]
        self.assertReported(docs, "container assets has no resources.limits",
                            "container assets: resources.requests lacks memory",
                            "container assets has no image")

    def test_security_context(self):
        docs = valid_docs()
        p = pod(docs)
        p["containers"][0]["securityContext"] = {"readOnlyRootFilesystem": False}
        del p["securityContext"]
        p["enableServiceLinks"] = True
        self.assertReported(docs, "readOnlyRootFilesystem must be true", "allowPrivilegeEscalation must be false",
                            "runAsNonRoot must be true", "enableServiceLinks must be false")

    def test_invented_flag(self):
        docs = valid_docs()
        pod(docs)["containers"][0]["env"].append({"name": "ZX_MIGRATE_ONLY", "value": "true"})
        find(docs, "ConfigMap", "zx-instance-abc")["data"]["ZX_REDIS_PASSWORD"] = "x"
        self.assertReported(docs, "container assets: ZX_MIGRATE_ONLY is not a flag",
                            "ZX_REDIS_PASSWORD is not a flag")

    def test_probe_on_wrong_port(self):
        docs = valid_docs()
        pod(docs)["containers"][0]["readinessProbe"]["exec"]["command"][1] = "7999"
        pod(docs, "zx-monitoring")["containers"][0]["livenessProbe"] = {"grpc": {"port": 7998}}
        self.assertReported(docs, "readinessProbe checks port 7999, but ZX_GRPC_PORT is 7101",
                            "livenessProbe grpc port 7998, but ZX_GRPC_PORT is 7100")

    def test_undefined_volume_and_service_account(self):
        docs = valid_docs()
        p = pod(docs)
        p["containers"][0]["volumeMounts"].append({"name": "scratch", "mountPath": "/s"})
        p["serviceAccountName"] = "zx-other"
        self.assertReported(docs, "mounts undefined volume scratch", "ServiceAccount zx-other is not in the render")

    def test_service_target_port(self):
        docs = valid_docs()
        find(docs, "Service", "zx-assets")["spec"]["ports"][0]["targetPort"] = "grpc"
        find(docs, "Service", "zx-assets")["spec"]["ports"][1]["targetPort"] = 9999
        self.assertReported(docs, "port grpc-tls: targetPort grpc is not a container port",
                            "port metrics: targetPort 9999 is not a container port")

    def test_api_versions_kinds_and_names(self):
        docs = valid_docs()
        find(docs, "PodDisruptionBudget", "zx-assets")["apiVersion"] = "policy/v1beta1"
        find(docs, "HorizontalPodAutoscaler", "zx-assets")["apiVersion"] = "autoscaling/v2beta2"
        docs.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta("w")})
        docs.append({"kind": "ConfigMap", "metadata": {"namespace": NS}})
        self.assertReported(docs, "PodDisruptionBudget/zx-assets: apiVersion policy/v1beta1, expected policy/v1",
                            "apiVersion autoscaling/v2beta2, expected autoscaling/v2",
                            "Widget/w: unknown kind Widget", "ConfigMap/?: no apiVersion",
                            "ConfigMap/?: no metadata.name")

    def test_namespace_and_duplicates(self):
        docs = valid_docs()
        find(docs, "Secret", "zx-tls")["metadata"]["namespace"] = "default"
        docs.append(copy.deepcopy(find(docs, "Service", "zx-assets")))
        find(docs, "Namespace", NS)["metadata"]["namespace"] = NS
        self.assertReported(docs, "Secret/zx-tls: namespace default, expected zx-test",
                            "Service/zx-assets: 2 objects with this kind and name",
                            "Namespace/zx-test: cluster-scoped object")

    def test_pdb_hpa_servicemonitor_targets(self):
        docs = valid_docs()
        find(docs, "PodDisruptionBudget", "zx-assets")["spec"]["selector"]["matchLabels"] = {"a": "b"}
        find(docs, "HorizontalPodAutoscaler", "zx-assets")["spec"]["scaleTargetRef"]["name"] = "zx-asset"
        find(docs, "ServiceMonitor", "zx-employment")["spec"]["endpoints"][0]["port"] = "prometheus"
        find(docs, "ServiceMonitor", "zx-consumption")["spec"]["selector"]["matchLabels"] = {"a": "b"}
        self.assertReported(docs, "PodDisruptionBudget/zx-assets: selector {'a': 'b'} matches no",
                            "HorizontalPodAutoscaler/zx-assets: scaleTargetRef Deployment/zx-asset is not",
                            "ServiceMonitor/zx-employment: endpoint port prometheus is not a port of Service/zx-employment",
                            "ServiceMonitor/zx-consumption: selector",
                            "incomplete: no PodDisruptionBudget for the pods of Deployment zx-assets",
                            "incomplete: no HorizontalPodAutoscaler for Deployment zx-assets",
                            "incomplete: no ServiceMonitor selecting Service zx-consumption")

    def test_hpa_target_with_replicas(self):
        docs = valid_docs()
        find(docs, "Deployment", "zx-employment")["spec"]["replicas"] = 3
        find(docs, "Deployment", "zx-federation")["spec"]["replicas"] = 1  # no HPA: fine
        problems = self.assertReported(
            docs, "Deployment/zx-employment: spec.replicas is set, but HorizontalPodAutoscaler/zx-employment")
        self.assertEqual(len(problems), 1, problems)

    def test_federation_must_not_autoscale(self):
        docs = valid_docs()
        hpa = copy.deepcopy(find(docs, "HorizontalPodAutoscaler", "zx-assets"))
        hpa["metadata"]["name"] = "zx-federation"
        hpa["spec"]["scaleTargetRef"]["name"] = "zx-federation"
        docs.append(hpa)
        self.assertReported(docs, "HorizontalPodAutoscaler/zx-federation: zx-federation must not autoscale")

    def test_completeness(self):
        docs = [d for d in valid_docs()
                if not (d["kind"] == "Deployment" and d["metadata"]["name"] == "zx-consumption")
                and not (d["kind"] == "Job" and d["metadata"]["name"] == "zx-migrate-assets")
                and not (d["kind"] == "Secret" and d["metadata"]["name"] == "zx-personal-data-keys")
                and not (d["kind"] == "Service" and d["metadata"]["name"] == "zx-postgres")
                and d["kind"] != "NetworkPolicy"]
        for d in docs:  # the references to the dropped Secret would be reported too
            if d["kind"] in ("Deployment", "Job"):
                d["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"].pop()
        self.assertReported(docs, "incomplete: no Deployment zx-consumption",
                            "incomplete: no migration Job running the zx-assets image",
                            "incomplete: no Secret zx-personal-data-keys",
                            "incomplete: no Service zx-postgres (external)",
                            "incomplete: no NetworkPolicy")
        self.assertEqual([p for p in self.problems(docs, complete=False) if "incomplete" in p], [])

    def test_default_deny_and_external_services(self):
        docs = valid_docs()
        find(docs, "NetworkPolicy", "deny")["spec"]["ingress"] = [{"from": [{"podSelector": {}}]}]
        docs = [d for d in docs if d["kind"] != "Endpoints"]
        find(docs, "Service", "zx-postgres")["spec"] = {"selector": labels("assets"), "ports": [
            {"port": 8101, "targetPort": "grpc-tls"}]}
        self.assertReported(docs, "incomplete: no default-deny ingress NetworkPolicy",
                            "Service/zx-redis: no selector and no Endpoints",
                            "Service/zx-postgres: must be external")

    def test_federation_config(self):
        docs = valid_docs()
        find(docs, "ConfigMap", "zx-federation-abc")["data"]["federation.txtpb"] = (
            "level: LEVEL_PREFECTURE\nlocal_services { name: 'monitoring' address: '127.0.0.1:7110' }\n")
        self.assertReported(docs, "level LEVEL_PREFECTURE, but ZX_DIVISION_CODE 653121000000 is a county",
                            "local_services monitoring port 7110: no monitoring container")
        find(docs, "ConfigMap", "zx-federation-abc")["data"]["federation.txtpb"] = (
            "level: LEVEL_COUNTY\nlocal_services { name: 'monitoring' address: 'zx-monitoring:7100' }\n")
        self.assertReported(docs, "address zx-monitoring:7100 is not loopback")

    @unittest.skipUnless(shutil.which("protoc"), "protoc not installed")
    def test_federation_config_parsed_by_protoc(self):
        docs = valid_docs()
        kw = {"protoc": shutil.which("protoc"), "proto_root": os.path.join(REPO, "protos")}
        self.assertEqual(self.problems(docs, **kw), [])
        find(docs, "ConfigMap", "zx-federation-abc")["data"]["federation.txtpb"] += "parents { }\n"
        self.assertReported(docs, "not a FederationConfig", **kw)

    def test_division_level(self):
        self.assertEqual(cm.division_level("653121000000"), "county")
        self.assertEqual(cm.division_level("653100000000"), "prefecture")
        self.assertEqual(cm.division_level("650000000000"), "region")
        self.assertIsNone(cm.division_level("653121001000"))
        self.assertIsNone(cm.division_level(""))


def kubectl():
    path = os.environ.get("ZX_KUBECTL") or shutil.which("kubectl")
    return path if path and os.access(path, os.X_OK) else None


@unittest.skipUnless(kubectl(), "no kubectl (set ZX_KUBECTL or put kubectl on PATH)")
class RenderTest(unittest.TestCase):
    def run_main(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = cm.main(["--kubectl", kubectl(), "--repo", REPO] + list(args))
        return rc, out.getvalue()

    def test_repository_overlays_pass(self):
        rc, out = self.run_main()
        self.assertEqual(rc, 0, out)
        for overlay in ("k8s/overlays/county", "k8s/overlays/prefecture"):
            self.assertIn(overlay, out)
        self.assertIn("Deployment 5", out)
        self.assertIn("HorizontalPodAutoscaler 4", out)

    def test_broken_overlay_fails(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
            f.write("namespace: zx-broken\nresources:\n  - app.yaml\n")
        with open(os.path.join(tmp, "app.yaml"), "w") as f:
            f.write(textwrap.dedent("""\
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: zx-assets}
                spec:
                  selector: {matchLabels: {app: a}}
                  template:
                    metadata: {labels: {app: a}}
                    spec:
                      containers:
                        - name: assets
                          image: zx-assets:1
                          envFrom: [{configMapRef: {name: zx-nowhere}}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: zx-assets}
                spec:
                  selector: {app: b}
                  ports: [{port: 8101}]
                """))
        rc, out = self.run_main(tmp)
        self.assertEqual(rc, 1, out)
        for fragment in ("container assets has no livenessProbe", "ConfigMap zx-nowhere",
                         "Service/zx-assets: selector", "incomplete: no Deployment zx-monitoring"):
            self.assertIn(fragment, out)

    def test_render_failure_fails(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
            f.write("resources:\n  - missing.yaml\n")
        rc, out = self.run_main(tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("RENDER FAILED", out)


if __name__ == "__main__":
    unittest.main()
