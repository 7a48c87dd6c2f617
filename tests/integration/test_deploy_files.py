"""The files in deploy/ name only what exists: every environment variable is one Settings
reads, every command line parses as a `laowu` command, every probe path is a route of the
process it probes, every port agrees with the one its command serves on; nginx's
configuration passes `nginx -t` and the systemd units pass `systemd-analyze verify`."""

from __future__ import annotations

import functools
import inspect
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from matching.app import create_app, create_probe_app
from matching.cli import build_parser, partitions_of
from matching.db import models as m
from matching.settings import Settings
from tests.integration.test_scheduler import scheduler_env
from tests.processes import (
    DEPLOY,
    UNITS,
    eventually,
    exec_argv,
    free_port,
    nginx_binary,
    nginx_conf,
    processes,
    site_for,
    spawn,
    start_nginx,
    unit,
)
from tests.support import Api

ROOT = Path(__file__).resolve().parents[2]
SECRET = "deploy-files-test-secret-0123456789abcdef"
# Read by a library, not by Settings: prometheus-client's multiprocess mode.
LIBRARY_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def settings_variables() -> set[str]:
    return set(re.findall(r'"(LAOWU_[A-Z0-9_]+)"', inspect.getsource(Settings.from_env)))


def routes(app: Any) -> set[str]:
    return {r.path for r in app.routes}


API_ROUTES = routes(create_app(Settings(secret_key=SECRET)))
PROBE_ROUTES = routes(create_probe_app(Settings(secret_key=SECRET)))


def command(argv: list[str]) -> Any:
    """The parsed `laowu` command line; fails the test when argparse refuses it."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"`laowu {' '.join(argv)}` is not a command line laowu accepts")


def served(argv: list[str]) -> tuple[int, set[str]]:
    """The port a command serves HTTP on and the routes it serves there."""
    args = command(argv)
    if args.command == "serve":
        return args.port, API_ROUTES
    if args.command == "scheduler" and args.health_port is not None:
        return args.health_port, PROBE_ROUTES
    pytest.fail(f"`laowu {' '.join(argv)}` serves no HTTP, yet something probes it")


def check_variables(names: set[str], where: str, allowed: set[str] = LIBRARY_VARIABLES) -> None:
    unknown = names - settings_variables() - allowed
    assert not unknown, f"{where} sets variables nothing reads: {sorted(unknown)}"


# -- compose ---------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def test_compose_names_real_commands_variables_ports_and_probes() -> None:
    services = compose()["services"]
    assert {"db", "migrate", "api", "scheduler", "nginx"} <= set(services)
    check_variables(set(services["db"]["environment"]), "db", POSTGRES_IMAGE_VARIABLES)
    assert any("pgdata:" in v for v in services["db"]["volumes"])  # the data outlives it
    for name in ("migrate", "api", "scheduler"):
        service = services[name]
        assert service["image"].startswith("laowu")
        assert service["build"]["dockerfile"] == "deploy/Containerfile"
        check_variables(set(service["environment"]), name)
        argv = service["command"]
        command(argv)
        if "healthcheck" in service:
            probe = " ".join(service["healthcheck"]["test"])
            port, path = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"]*)", probe).groups()  # type: ignore[union-attr]
            serves_on, paths = served(argv)
            assert int(port) == serves_on, f"{name} is probed on {port}, serves on {serves_on}"
            assert path in paths, f"{name}'s healthcheck asks for {path}, which is no route"
    assert command(services["migrate"]["command"]).command == "migrate"
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["scheduler"]["deploy"]["replicas"] == 2
    # nginx's upstream is the api service on the port it serves.
    conf = (DEPLOY / "nginx" / "compose.conf").read_text()
    port, _ = served(services["api"]["command"])
    assert re.search(rf"server api:{port}\b", conf)
    for volume in services["nginx"]["volumes"]:
        assert (DEPLOY / volume.split(":")[0]).is_file(), volume


# -- Kubernetes ------------------------------------------------------------------------------


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in manifests() if d["kind"] == kind]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["spec"]["template"]["spec"]["containers"])


def test_kubernetes_manifests_name_real_commands_variables_ports_and_probes() -> None:
    maps = {d["metadata"]["name"]: d for d in of_kind("ConfigMap")}
    secrets = {d["metadata"]["name"]: d for d in of_kind("Secret")}
    for d in maps.values():
        check_variables(set(d["data"]), f"ConfigMap {d['metadata']['name']}")
    for d in secrets.values():
        check_variables(set(d["stringData"]), f"Secret {d['metadata']['name']}")
    assert {"LAOWU_SECRET_KEY", "LAOWU_DATABASE_URL"} <= set(secrets["laowu"]["stringData"])
    workloads = of_kind("Deployment") + of_kind("Job")
    assert {d["metadata"]["name"] for d in workloads} == {
        "laowu-api",
        "laowu-scheduler",
        "laowu-migrate",
        "laowu-match",
    }
    for doc in workloads:
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in containers(doc):
            where = f"{doc['metadata']['name']}/{c['name']}"
            argv = c["args"]
            command(argv)
            check_variables({e["name"] for e in c.get("env", [])}, where)
            for source in c["envFrom"]:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in maps, where
                else:
                    assert source["secretRef"]["name"] in secrets, where
            assert c["resources"]["requests"] and c["resources"]["limits"], where
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            probes = [c[k] for k in ("readinessProbe", "livenessProbe", "startupProbe") if k in c]
            if doc["kind"] == "Job":
                assert not probes and not ports
                continue
            serves_on, paths = served(argv)
            assert set(ports.values()) == {serves_on}, f"{where} declares {ports}"
            assert "readinessProbe" in c and "livenessProbe" in c, where
            for probe in probes:
                port = probe["httpGet"]["port"]
                assert ports.get(port, port) == serves_on, f"{where} probes port {port}"
                assert probe["httpGet"]["path"] in paths, f"{where} probes {probe['httpGet']}"
            # Liveness must not ask the database (an outage would restart every pod).
            assert c["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
            annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
            if "prometheus.io/path" in annotations:
                assert annotations["prometheus.io/path"] in paths
                assert int(annotations["prometheus.io/port"]) == serves_on
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    assert deployments["laowu-scheduler"]["spec"]["replicas"] == 2
    api = deployments["laowu-api"]
    api_labels = api["spec"]["template"]["metadata"]["labels"]
    (service,) = of_kind("Service")
    assert service["spec"]["selector"].items() <= api_labels.items()
    api_ports = {p["name"] for c in containers(api) for p in c["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= api_ports
    (budget,) = of_kind("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= api_labels.items()


def test_the_match_shares_run_as_an_indexed_job_one_pod_per_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = {d["metadata"]["name"]: d for d in of_kind("Job")}
    job = jobs["laowu-match"]["spec"]
    assert job["completionMode"] == "Indexed"
    assert job["template"]["spec"]["restartPolicy"] == "Never"  # backoffLimitPerIndex needs it
    assert job["parallelism"] == job["completions"] >= 2  # every share live at once
    (match,) = containers(jobs["laowu-match"])
    args = command(match["args"])
    assert (args.command, args.match_command) == ("match", "run")
    assert args.indexed_job == job["completions"]  # share K of N, N the Job's completions
    # Each pod's index (JOB_COMPLETION_INDEX, from 0) names its share, from 1: all N, once.
    seen = []
    for index in range(job["completions"]):
        monkeypatch.setenv("JOB_COMPLETION_INDEX", str(index))
        found = partitions_of(args)
        assert not isinstance(found, str), found
        (share,) = found
        seen.append((share.share, share.shares))
    assert seen == [(k, job["completions"]) for k in range(1, job["completions"] + 1)]
    monkeypatch.delenv("JOB_COMPLETION_INDEX")
    assert "JOB_COMPLETION_INDEX" in partitions_of(args)  # a clear refusal outside a Job
    # Applying the manifests must not start a run.
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert "match-job.yaml" not in kustomization["resources"]


def test_kustomization_lists_the_manifests() -> None:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    for name in kustomization["resources"]:
        assert (DEPLOY / "k8s" / name).is_file(), name
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the manifests were parsed, not built")
    built = subprocess.run(  # noqa: S603
        [kubectl, "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    kinds = {d["kind"] for d in yaml.safe_load_all(built.stdout) if d}
    assert kinds == {"ConfigMap", "Job", "Deployment", "Service", "PodDisruptionBudget"}


# -- systemd ---------------------------------------------------------------------------------


def test_systemd_units_name_real_commands_and_variables() -> None:
    migrate, api, scheduler = (
        unit("laowu-migrate.service"),
        unit("laowu-api@.service"),
        unit("laowu-scheduler.service"),
    )
    assert command(exec_argv(migrate["ExecStart"][0])).command == "migrate"
    assert migrate["Type"] == ["oneshot"]
    port, _ = served(exec_argv(api["ExecStart"][0], "8002"))
    assert port == 8002  # one process per instance, on the instance's port
    served(exec_argv(scheduler["ExecStart"][0]))
    for u in (migrate, api, scheduler):
        assert u["EnvironmentFile"] == ["/etc/laowu/laowu.env"]
        assert u["User"] == ["laowu"] and u["ProtectSystem"] == ["strict"]
        assert u["NoNewPrivileges"] == ["yes"]
        check_variables(
            {v.split("=", 1)[0] for v in u.get("Environment", [])}, "a unit's Environment="
        )
    for u in (api, scheduler):
        assert u["Restart"] == ["always"]
        assert "laowu-migrate.service" in u["Requires"][0] and "laowu-migrate" in u["After"][0]
    example = (UNITS / "laowu.env.example").read_text()
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert "LAOWU_SECRET_KEY" in names
    check_variables(names, "laowu.env.example")
    # nginx's upstream: one laowu-api@PORT per server line.
    conf = (DEPLOY / "nginx" / "laowu.conf").read_text()
    assert [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", conf)] == [8001, 8002, 8003]


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    laowu = Path(shutil.which("laowu") or ROOT / ".venv" / "bin" / "laowu")
    env = tmp_path / "laowu.env"
    env.write_text((UNITS / "laowu.env.example").read_text())
    for path in UNITS.glob("*.service"):
        text = path.read_text().replace("/opt/laowu/venv/bin/laowu", str(laowu))
        (tmp_path / path.name).write_text(text.replace("/etc/laowu/laowu.env", str(env)))
    names = ["laowu-migrate.service", "laowu-api@8001.service", "laowu-scheduler.service"]
    r = subprocess.run(  # noqa: S603
        [analyze, "verify", "--man=no", *[f"./{n}" for n in names]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # verify warns (and still exits 0) on a value it ignores: any word about our units fails.
    ours = [line for line in (r.stdout + r.stderr).splitlines() if "laowu" in line]
    assert r.returncode == 0 and not ours, r.stdout + r.stderr


# -- nginx -----------------------------------------------------------------------------------


def size(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024, "g": 1024**3}
    suffix = value[-1].lower()
    return int(value[:-1]) * units[suffix] if suffix in units else int(value)


def test_nginx_limits_retries_and_headers_match_the_app() -> None:
    text = (DEPLOY / "nginx" / "laowu-locations.conf").read_text()
    directives = [line.split("#")[0].strip() for line in text.splitlines()]
    limit, *imports = [d for d in directives if d.startswith("client_max_body_size")]
    assert size(limit.split()[1].rstrip(";")) == Settings().max_body_bytes
    # the import routes (API and console) alone take a spreadsheet's larger body, their own
    # setting; each in a location of its own
    blocks = text.split("location ")
    for path in ("/api/v1/imports/ {", "= /imports {"):
        (block,) = [b for b in blocks if b.startswith(path)]
        (own,) = [d for d in block.splitlines() if d.strip().startswith("client_max_body_size")]
        assert size(own.split()[1].rstrip(";")) == Settings().import_max_bytes, path
    assert len(imports) == 2
    (retry,) = [d for d in directives if d.startswith("proxy_next_upstream ")]
    assert "error" in retry and "non_idempotent" not in retry  # a POST is never replayed
    for header in ("X-Forwarded-For", "X-Real-IP", "X-Forwarded-Proto", "X-Request-ID"):
        assert any(d.startswith(f"proxy_set_header {header} ") for d in directives), header
    assert 'proxy_set_header Connection "";' in directives  # upstream keep-alive
    for location in re.findall(r"location (?:= )?(/\S*) \{", text):
        assert any(r == location or r.startswith(location) for r in API_ROUTES), location
    for conf in ("laowu.conf", "compose.conf"):
        assert re.search(r"keepalive \d+;", (DEPLOY / "nginx" / conf).read_text()), conf


@pytest.mark.parametrize("site", ["laowu.conf", "compose.conf"])
def test_nginx_accepts_the_configuration(site: str, tmp_path: Path) -> None:
    nginx = nginx_binary()
    conf = nginx_conf(site, tmp_path)
    r = subprocess.run(  # noqa: S603
        [nginx, "-t", "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and "test is successful" in r.stderr, r.stderr


async def _answers(http: httpx.AsyncClient, path: str) -> bool:
    try:
        return (await http.get(path)).status_code == 200
    except httpx.TransportError:
        return False


async def _failures(api: Api) -> dict[str, int]:
    async with api.engine.connect() as conn:
        rows = (await conn.execute(select(m.LoginAttempt.key, m.LoginAttempt.failures))).all()
    return {k: f for k, f in rows}


async def test_nginx_in_front_of_two_processes(api: Api, db_url: str, tmp_path: Path) -> None:
    """laowu.conf as written, in front of two `laowu serve`: TLS, the redirect, the request id,
    cached static files, the body limit, the client's address, and a process killed."""
    a, b, http_port, https_port = free_port(), free_port(), free_port(), free_port()
    conf = nginx_conf("laowu.conf", tmp_path, site_for((a, b), http_port, https_port))
    assert f":{a} " in (tmp_path / "laowu.conf").read_text(), "the upstream was not replaced"
    env = scheduler_env(db_url, LAOWU_TRUSTED_PROXIES="127.0.0.1")
    with processes() as started:
        api_processes = [
            spawn(
                started, env, "serve", "--port", str(p), "--no-scheduler", log=tmp_path / f"{p}.log"
            )
            for p in (a, b)
        ]
        start_nginx(started, conf)
        # The client from 127.0.0.2: an address nginx sees and the app does not trust.
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2", verify=False)
        base = f"https://127.0.0.1:{https_port}"
        async with httpx.AsyncClient(transport=transport, base_url=base, timeout=5) as http:
            for p in (a, b):
                url = f"http://127.0.0.1:{p}/api/v1/health/ready"
                await eventually(functools.partial(_answers, http, url), 60, f"serve on {p}")
            await eventually(lambda: _answers(http, "/api/v1/health/ready"), 20, "nginx")
            redirect = await http.get(f"http://127.0.0.1:{http_port}/api/v1/health")
            assert redirect.status_code == 301
            assert redirect.headers["location"].startswith("https://")
            # The request id: the client's, else one nginx makes, passed on and answered.
            r = await http.get("/api/v1/health/live", headers={"X-Request-ID": "req-123"})
            assert r.headers["x-request-id"] == "req-123"
            made = (await http.get("/api/v1/health/live")).headers["x-request-id"]
            assert re.fullmatch(r"[0-9a-f]{32}", made)
            static = await http.get("/static/htmx.min.js")
            assert static.status_code == 200
            assert static.headers["cache-control"] == "max-age=86400" and static.headers["expires"]
            too_big = b"x" * (Settings().max_body_bytes + 1)
            assert (await http.post("/api/v1/auth/token", content=too_big)).status_code == 413
            # A client that names another address in X-Forwarded-For is counted as itself.
            login = {"username": "nobody", "password": "wrong password"}
            spoof = {"X-Forwarded-For": "198.51.100.1"}
            r = await http.post("/api/v1/auth/token", json=login, headers=spoof)
            assert r.status_code == 401
            assert await _failures(api) == {"a:127.0.0.2": 1, "u:nobody": 1}

            # One process dies: every GET is answered by the other, every POST applied once.
            api_processes[0].kill()
            api_processes[0].wait(timeout=10)
            for _ in range(10):
                assert (await http.get("/api/v1/health/ready")).status_code == 200
            for _ in range(4):
                assert (await http.post("/api/v1/auth/token", json=login)).status_code == 401
            assert await _failures(api) == {"a:127.0.0.2": 5, "u:nobody": 5}


# -- the image -------------------------------------------------------------------------------


def test_the_image_runs_laowu_as_a_user_without_compilers() -> None:
    text = (DEPLOY / "Containerfile").read_text().replace("\\\n", " ")
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) >= 2, "multi-stage"
    final = stages[-1]
    instructions = {
        line.split()[0]: line.split(None, 1)[1]
        for line in final.splitlines()
        if line and not line.startswith("#") and line.split()[0].isupper()
    }
    user = instructions["USER"].split(":")[0]
    assert user not in ("0", "root")
    assert re.search(r"useradd[^\n]*--uid " + user, final)
    assert yaml.safe_load(instructions["ENTRYPOINT"]) == ["laowu"]
    port, _ = served(yaml.safe_load(instructions["CMD"]))
    assert str(port) == instructions["EXPOSE"]
    for compiler in ("gcc", "build-essential", "apt-get install", "clang"):
        assert compiler not in final, compiler
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for item in source.split():
            assert (ROOT / item).exists(), item
