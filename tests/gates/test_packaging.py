"""Reproducible images: the lock files, the Dockerfile and compose.yaml hold to what the README promises."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ \\;]+)")


def _pins(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    lines = (ROOT / name).read_text().splitlines()
    for i, line in enumerate(lines):
        m = _PIN.match(line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
            assert "--hash=sha256:" in lines[i + 1], f"{name}: {m.group(1)} has no hash"
    return pins


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def test_lock_files_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for spec in project["dependencies"]:
        req = Requirement(spec)
        assert _norm(req.name) in runtime, f"{req.name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(runtime[_norm(req.name)]), f"{req.name} pin outside {req.specifier}"
    for spec in project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        assert _norm(req.name) in dev, f"{req.name} is not in requirements-dev.lock: run `make lock`"
    # CI and the image install the same versions of what they share.
    assert {k: v for k, v in dev.items() if k in runtime} == runtime


def test_dockerfile_installs_the_lock_runs_as_a_numeric_user_and_checks_health_on_port() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.lock" in text
    [user] = re.findall(r"^USER (.+)$", text, re.MULTILINE)
    assert re.fullmatch(r"\d+:\d+", user), user
    healthcheck = text[text.index("HEALTHCHECK"):]
    assert "os.environ.get('PORT')" in healthcheck and ":3000/" not in healthcheck
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert not [line for line in ignored if "requirements" in line or line.strip() in ("*", "*.lock")]


def test_compose_builds_once_requires_the_password_and_re_resolves_replicas() -> None:
    text = (ROOT / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    builders = [name for name, svc in services.items() if "build" in svc]
    assert builders == ["natobot-1"]
    assert services["natobot-2"]["image"] == services["natobot-1"]["image"]
    assert services["natobot-2"]["pull_policy"] == "never"
    assert "POSTGRES_PASSWORD:-" not in text  # no silent default
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    assert "${POSTGRES_PASSWORD:?" in services["natobot-1"]["environment"]["DATABASE_URL"]
    nginx = compose["configs"]["nginx"]["content"]
    assert "resolver 127.0.0.11 valid=10s" in nginx and "zone natobot" in nginx
    assert nginx.count(" resolve ") == 2
    major, minor, patch = (int(p) for p in services["proxy"]["image"].split(":")[1].split("-")[0].split("."))
    assert (major, minor, patch) >= (1, 27, 3)  # `resolve` in open-source nginx upstreams
