"""The files of deploy/ for running ccstats as a service, checked by the programs that read
them: the systemd unit by `systemd-analyze verify` and by running its command line, the
nginx site by `nginx -t` and by serving through it (TLS, the client address, the real-time
stream, the metrics kept inside).

The programs are installed by `make deploy-tools`; a missing one fails its test saying so.
The files name the installed paths and ports (docs/operations.md); each test runs a copy
with those replaced by its own, and fails if a replaced text is no longer there.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.conftest import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "systemd" / "ccstats.service"
SITE = ROOT / "deploy" / "nginx" / "ccstats.conf"
CCSTATS = Path(sys.executable).parent / "ccstats"
#: Where the unit expects the installed command.
INSTALLED = "/opt/ccstats/.venv/bin/ccstats"
BASE_DOMAIN = "stats.example.com"
CUSTOMER, PASSWORD = "acme", "acme-pass"
#: Seconds to wait for nginx to listen; only a guard against hanging.
PATIENCE = 30.0


def tool(name: str) -> str:
    """The path of program `name`; the test fails if it is not installed."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(f"{name} is not installed: `make deploy-tools` installs it (as root, "
                    "like CI; elsewhere `sudo make deploy-tools`)")
    return found


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is no longer in the deployment file: update this test"
    return text.replace(old, new)


# the systemd unit ---------------------------------------------------------------------


def unit_settings(text: str) -> dict[str, str]:
    """The unit's ``Key=value`` lines (continued lines joined; the last of a key wins)."""
    joined = text.replace("\\\n", " ")
    settings: dict[str, str] = {}
    for line in joined.splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.startswith("#"):
            settings[key.strip()] = value.strip()
    return settings


def verify(unit: Path) -> str:
    """What `systemd-analyze verify` says of `unit`: it exits 0 after warnings such as
    an unknown key or a bad value, so any output is a finding."""
    done = subprocess.run([tool("systemd-analyze"), "verify", str(unit)],
                          capture_output=True, text=True, timeout=120, check=False)
    return f"exit {done.returncode}: {done.stdout}{done.stderr}".strip()


def test_the_unit_verifies(tmp_path: Path) -> None:
    unit = tmp_path / "ccstats.service"  # the installed command must exist
    unit.write_text(replaced(UNIT.read_text(), INSTALLED, str(CCSTATS)))
    assert verify(unit) == "exit 0:"


def test_verify_reports_a_flawed_unit(tmp_path: Path) -> None:
    unit = tmp_path / "ccstats.service"
    text = replaced(UNIT.read_text(), INSTALLED, str(CCSTATS))
    unit.write_text(replaced(text, "ProtectSystem=", "ProtectSystm="))
    assert "ProtectSystm" in verify(unit)


def unit_command(settings: dict[str, str], port: int) -> list[str]:
    """The unit's ExecStart with this checkout's command and `port`."""
    command = shlex.split(settings["ExecStart"])
    assert command[0] == INSTALLED and "--port" in command
    command[0] = str(CCSTATS)
    command[command.index("--port") + 1] = str(port)
    return command


def unit_environment(settings: dict[str, str], state: Path) -> dict[str, str]:
    """The unit's Environment= with its state directory at `state`."""
    name, _, value = settings["Environment"].partition("=")
    folder = f"/var/lib/{settings['StateDirectory']}"
    assert settings["WorkingDirectory"] == folder
    return {name: replaced(value, folder, str(state))}


def start_unit(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """The unit's command on `port`, in `tmp_path` as its state directory, with customer
    `CUSTOMER`; the server answers /health."""
    settings = unit_settings(UNIT.read_text())
    environment = {**os.environ, **unit_environment(settings, tmp_path)}
    subprocess.run([str(CCSTATS), "customer", "create", CUSTOMER, "--password", PASSWORD],
                   cwd=tmp_path, env=environment, check=True, capture_output=True, timeout=60)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(unit_command(settings, port), cwd=tmp_path, env=environment,
                                   stdout=out, stderr=subprocess.STDOUT)
    if not wait_until_healthy(process, f"http://127.0.0.1:{port}", log):
        pytest.fail(f"the unit's command exited {process.returncode}:\n{log.read_text()}")
    return process


def test_the_units_command_serves_and_stops_with_success_on_its_kill_signal(
        tmp_path: Path) -> None:
    settings = unit_settings(UNIT.read_text())
    process = start_unit(tmp_path, free_port())
    try:
        process.send_signal(signal.Signals[settings["KillSignal"]])
        assert process.wait(timeout=float(settings["TimeoutStopSec"])) == 0
        # checkpointed: a copy of the file alone is a backup (docs/operations.md)
        assert (tmp_path / "ccstats.duckdb").exists()
        assert not (tmp_path / "ccstats.duckdb.wal").exists()
    finally:
        stop(process)


# the nginx site -----------------------------------------------------------------------


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate of the base domain, its customers and 127.0.0.1, and its key."""
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", f"/CN={BASE_DOMAIN}", "-addext",
                    f"subjectAltName=DNS:{BASE_DOMAIN},DNS:*.{BASE_DOMAIN},IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    return cert, key


def site(folder: Path, ports: tuple[int, int, int] | None = None) -> Path:
    """A copy of the site with the certificate of `certificate`; with `ports` (http, https,
    ccstats), on those ports of 127.0.0.1 only."""
    cert, key = certificate(folder)
    text = replaced(SITE.read_text(), "/etc/ssl/ccstats/fullchain.pem", str(cert))
    text = replaced(text, "/etc/ssl/ccstats/privkey.pem", str(key))
    if ports is not None:
        http, https, upstream = ports
        text = replaced(text, "listen [::]:80;", "")
        text = replaced(text, "listen [::]:443 ssl http2;", "")
        text = replaced(text, "listen 80;", f"listen 127.0.0.1:{http};")
        text = replaced(text, "listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
        text = replaced(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    path = folder / "ccstats.conf"
    path.write_text(text)
    return path


def main_configuration(folder: Path, site_file: Path) -> Path:
    """An nginx.conf of its own (files under `folder`) that includes `site_file`."""
    temporary = "\n".join(f"    {kind}_temp_path {folder / kind};"
                          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # nginx started by root runs its workers as nobody, who cannot enter the test's folder
    user = "user root;\n" if os.geteuid() == 0 else ""
    path = folder / "nginx.conf"
    path.write_text(f"{user}pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
                    f"events {{}}\nhttp {{\n    access_log off;\n{temporary}\n"
                    f"    include {site_file};\n}}\n")
    return path


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    configuration = main_configuration(tmp_path, site(tmp_path))
    done = subprocess.run([tool("nginx"), "-t", "-e", str(tmp_path / "error.log"),
                           "-c", str(configuration)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """nginx with the site on 127.0.0.1 in front of the unit's ccstats: (https URL, port of
    nginx's plain http, the folder of the certificate)."""
    tmp_path = tmp_path_factory.mktemp("proxied")
    http, https, upstream = free_port(), free_port(), free_port()
    configuration = main_configuration(tmp_path, site(tmp_path, (http, https, upstream)))
    server = start_unit(tmp_path, upstream)
    nginx = subprocess.Popen([tool("nginx"), "-e", str(tmp_path / "error.log"),
                              "-c", str(configuration), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(nginx, https, tmp_path / "error.log")
        yield f"https://127.0.0.1:{https}", http, tmp_path
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=PATIENCE)
        finally:
            stop(nginx)
            stop(server)


def wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}:\n{log.read_text()}")


def client(url: str, tmp_path: Path, source: str) -> httpx.Client:
    """A client of customer `CUSTOMER` by its host name, checking the site's certificate,
    connecting from `source` (an address of 127.0.0.0/8)."""
    context = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    return httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60,
                        headers={"Host": f"{CUSTOMER}.{BASE_DOMAIN}"},
                        transport=httpx.HTTPTransport(verify=context, local_address=source))


STATS = "/v2/statistics/userbased"
DAY = {"from": "20240301", "to": "20240301", "dimensions": "user"}


def test_through_nginx_the_allowed_networks_judge_the_address_nginx_saw(
        proxied: tuple[str, int, Path]) -> None:
    url, _, tmp_path = proxied
    with client(url, tmp_path, "127.0.0.2") as inside:
        changed = inside.put("/v2/access", json={"networks": ["127.0.0.2/32"]})
        assert changed.status_code == 200, changed.text  # its own address is in them
        assert inside.get(STATS, params=DAY).status_code == 200
    with client(url, tmp_path, "127.0.0.3") as outside:
        for headers in ({}, {"X-Forwarded-For": "127.0.0.2"}):
            refused = outside.get(STATS, params=DAY, headers=headers)
            assert refused.status_code == 403, refused.text
            assert "127.0.0.3" in refused.json()["errors"][0]["message"]
    with client(url, tmp_path, "127.0.0.2") as inside:  # as it was for the other tests
        assert inside.put("/v2/access", json={"networks": []}).status_code == 200


def test_through_nginx_the_stream_sends_its_first_snapshot(
        proxied: tuple[str, int, Path]) -> None:
    url, _, tmp_path = proxied
    with client(url, tmp_path, "127.0.0.1") as local, \
            local.stream("GET", "/v2/realtime/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line == "event: snapshot":
                break


def test_through_nginx_metrics_only_for_this_machine_and_plain_http_redirects(
        proxied: tuple[str, int, Path]) -> None:
    url, http, tmp_path = proxied
    with client(url, tmp_path, "127.0.0.1") as local:
        assert "ccstats_requests_total" in local.get("/metrics").text
    with client(url, tmp_path, "127.0.0.2") as remote:
        assert remote.get("/metrics").status_code == 403
    plain = httpx.get(f"http://127.0.0.1:{http}/health",
                      headers={"Host": f"{CUSTOMER}.{BASE_DOMAIN}"}, timeout=60)
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{CUSTOMER}.{BASE_DOMAIN}/health"
