"""The shop under load, in production settings: `make bench` (see docs/performance.md).

    .venv/bin/python bench/run.py [--duration 8s] [--connections 16] [--threads 2]
                                  [--workers 2] [--events 12000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/run.py

1. A throwaway deployment under var/bench/: production settings (bench/settings.py), its own
   database (SQLite in var/bench/db.sqlite3, recreated each run; or the PostgreSQL database
   DATABASE_URL names, which the bench fills), migrate, createcachetable, seed_demo,
   collectstatic.
2. Prepared data (bench/prepare.py): a category page showing 12 products, unpaid orders with
   their PaymentIntents and one `payment_intent.succeeded` event each.
3. Two gunicorns (sync workers): the shop (config.wsgi with bench.settings, whose URLconf adds
   the signature-only view) and a bare Django application (bench/bare_wsgi.py).
4. wrk against each target in turn, after a warm-up; a table on the terminal and
   var/bench/results.json.

The gunicorns are stopped at the end, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = ROOT / "var" / "bench"
LOGS = VAR / "logs"
EVENTS = VAR / "events"
PYTHON = sys.executable
WEBHOOK_PATH = "/payments/webhook/stripe/"
VERIFY_ONLY_PATH = "/bench/verify-only/"
# Share of all CPUs that processes other than wrk, the gunicorns and PostgreSQL may take
# during a run before its row is flagged.
OTHERS_CPU_LIMIT = 0.10


# --- configuration ------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get
    parser.add_argument("--duration", default=env("BENCH_DURATION", "8s"),
                        help="wrk run per target (wrk syntax: 8s, 1m); default 8s")
    parser.add_argument("--threads", type=int, default=int(env("BENCH_THREADS", "2")))
    parser.add_argument("--connections", type=int,
                        default=int(env("BENCH_CONNECTIONS", "16")))
    parser.add_argument("--workers", type=int, default=int(env("BENCH_WORKERS", "2")),
                        help="gunicorn sync workers per server")
    parser.add_argument("--events", type=int, default=int(env("BENCH_EVENTS", "12000")),
                        help="fresh webhook events prepared (each sent once)")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "20")),
                        help="requests to each target before it is measured")
    parser.add_argument("--quiet-wait", type=float, default=float(env("BENCH_QUIET_WAIT", "0")),
                        help="before each target, wait up to this many seconds for other "
                             "processes to leave the CPUs idle (default 0: don't wait)")
    parser.add_argument("--timeout", default="10s",
                        help="wrk's per-request timeout (slower answers count as errors)")
    return parser.parse_args()


def deployment_environment(*, database_url: str, media_root: Path) -> tuple[dict, str]:
    """The environment production needs to start, for every process of the deployment.
    Returns it and the Stripe webhook secret."""
    webhook_secret = f"whsec_bench_{secrets.token_hex(16)}"
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",  # config.settings.local + bench URLconf
        "DJANGO_DEBUG": "0",  # so config.settings.local is config.settings.production
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, no TLS proxy in front
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "BENCH_STATIC_ROOT": str(VAR / "static"),
        "SHOP_BASE_URL": "https://bench.example",
        "EMAIL_BACKEND": "apps.emails.backends.EmlFileBackend",  # never a real provider
        "EMAIL_FILES_IN_PRODUCTION": "1",
        "EMAIL_FILE_PATH": str(VAR / "mail"),
        "DEFAULT_FROM_EMAIL": "Gulf Emperor <orders@bench.example>",
        "ANYMAIL_WEBHOOK_SECRET": "bench:secret",
        # The seller's details every tax invoice carries (required in production).
        "SHOP_NAME_AR": "الإمبراطور الخليجي",
        "SHOP_NAME_EN": "Gulf Emperor",
        "SHOP_VAT_NUMBER": "300000000000003",
        "SHOP_CR_NUMBER": "1010000000",
        "SHOP_ADDRESS_AR": "طريق الملك فهد، حي العليا، الرياض 12211",
        "SHOP_ADDRESS_EN": "King Fahd Road, Al Olaya, Riyadh 12211",
        # The offline Stripe, never an account: no key, the sandbox allowed in production.
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "STRIPE_SANDBOX_IN_PRODUCTION": "1",
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        # The default backend: side effects are queued in the database as in production; no
        # worker runs, so they stay queued.
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        # wrk is one address: the abuse limits would answer 429.
        "RATELIMIT_ENABLE": "0",
        # The page cache's version registry (when the shop has one) of this deployment only.
        "PAGE_CACHE_VERSIONS": f"file:{VAR / 'page-cache' / 'versions.json'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env, webhook_secret


def database_choice() -> tuple[str, str, Path]:
    """(DATABASE_URL, a label, media root). PostgreSQL (or any URL) from the environment,
    else a new SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        parts = urlsplit(url)
        label = f"{parts.scheme}://{parts.hostname or ''}:{parts.port or ''}{parts.path}"
        # The images the database refers to stay beside it from one run to the next.
        key = re.sub(r"[^A-Za-z0-9]+", "-", f"{parts.hostname}-{parts.port}{parts.path}")
        return url, label, VAR / "media" / key.strip("-")
    sqlite_file = VAR / "db.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    media = VAR / "media" / "sqlite"
    shutil.rmtree(media, ignore_errors=True)
    return f"sqlite:///{sqlite_file}", f"{sqlite_file.relative_to(ROOT)}, new", media


# --- processes ----------------------------------------------------------------------------


def run_step(title: str, args: list[str], env: dict, log) -> str:
    started = time.perf_counter()
    print(f"  {title} ...", end="", flush=True)
    log.write(f"\n$ {' '.join(args)}\n")
    log.flush()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    log.write(result.stdout + result.stderr)
    log.flush()
    if result.returncode != 0:
        print(" FAILED")
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"{title} failed (exit {result.returncode}); see {log.name}")
    print(f" {time.perf_counter() - started:.1f} s")
    return result.stdout


def cpu_busy(seconds: float = 2.0) -> float | None:
    """Share of all CPUs busy over `seconds` (Linux): what other processes take from the
    measurement when run before the servers start."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return round(1 - (idle_after - idle_before) / total, 3) if total else None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot(server_pids: list[int]) -> dict | None:
    """Cumulative CPU seconds (Linux /proc): the whole machine (busy and total), the
    gunicorn process trees, the PostgreSQL server processes, and the waited-for children
    (wrk, once it has exited)."""
    try:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
        processes = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            name = text[text.index("(") + 1:text.rindex(")")]
            fields = text[text.rindex(")") + 2:].split()
            processes[int(entry.name)] = (name, int(fields[1]), sum(map(int, fields[11:15])))
    except (OSError, ValueError, IndexError):
        return None
    ours = set(server_pids)
    changed = True
    while changed:  # the servers' workers (and anything they started)
        grown = ours | {pid for pid, (_n, ppid, _t) in processes.items() if ppid in ours}
        changed, ours = grown != ours, grown
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "total": sum(values) / CLOCK_TICKS,
        "busy": (sum(values) - values[3] - (values[4] if len(values) > 4 else 0)) / CLOCK_TICKS,
        "servers": {pid: processes[pid][2] / CLOCK_TICKS for pid in ours if pid in processes},
        "database": {pid: cpu / CLOCK_TICKS for pid, (name, _p, cpu) in processes.items()
                     if name.startswith("postgres")},
        "children": children.ru_utime + children.ru_stime,
    }


def cpu_shares(before: dict | None, after: dict | None) -> dict | None:
    """Where the machine's CPU time went between two snapshots, as shares of all CPUs."""
    if before is None or after is None or after["total"] <= before["total"]:
        return None

    def grown(kind: str) -> float:
        return sum(max(0.0, cpu - before[kind].get(pid, 0.0))
                   for pid, cpu in after[kind].items())

    total = after["total"] - before["total"]
    busy = after["busy"] - before["busy"]
    wrk = after["children"] - before["children"]
    servers, database = grown("servers"), grown("database")
    return {name: round(value / total, 3) for name, value in {
        "busy": busy, "wrk": wrk, "servers": servers, "database": database,
        "other": max(0.0, busy - wrk - servers - database),
    }.items()}


def wait_for_quiet(limit: float) -> None:
    """Wait (up to `limit` seconds) until other processes leave the CPUs idle: a shared
    machine's test runs would take CPU from the servers under test."""
    started = time.monotonic()
    waited = False
    while True:
        busy = cpu_busy(0.5)
        if busy is None or busy <= OTHERS_CPU_LIMIT:
            break
        if not waited:
            print(f" (CPUs {busy:.0%} busy: waiting", end="", flush=True)
            waited = True
        if time.monotonic() - started > limit:
            break
        time.sleep(3)
    if waited:
        print(f" {time.monotonic() - started:.0f} s)", end="", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str
    port: int
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(server: Server, *, workers: int, env: dict) -> None:
    server.log = LOGS / f"gunicorn-{server.name}.log"
    out = server.log.open("w")
    server.process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", server.app, "--workers", str(workers),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{server.port}",
         "--chdir", str(ROOT), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: Ctrl-C reaches us, we stop it
    )
    out.close()


def wait_until_ready(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn ({server.name}) exited: see {server.log}\n"
                             + tail(server.log))
        try:
            with urllib.request.urlopen(server.base + path, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers; the warm-up checks the status
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn ({server.name}) did not answer within {timeout:.0f} s")


def stop_server(server: Server) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()  # gunicorn: graceful stop of the master and its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    try:  # any worker left behind in the group gunicorn was started in
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- requests -----------------------------------------------------------------------------


def sign(body: str, secret: str) -> str:
    """Stripe-Signature as Stripe sends it: t=<now>,v1=<HMAC-SHA256 of "t.body">."""
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def load_bodies(name: str) -> list[str]:
    with (EVENTS / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def write_signed(name: str, bodies: list[str], secret: str) -> Path:
    """The request file bench/wrk.lua reads, signed now (signatures expire after 300 s)."""
    path = EVENTS / f"{name}.signed"
    with path.open("wb") as out:
        for body in bodies:
            data = body.encode()
            out.write(f"{sign(body, secret)} {len(data)}\n".encode() + data + b"\n")
    return path


def fetch(url: str, *, body: str | None = None, secret: str = "") -> tuple[int, str]:
    headers = {}
    data = None
    if body is not None:
        data = body.encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": sign(body, secret)}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


# --- targets ------------------------------------------------------------------------------


@dataclass
class Target:
    key: str
    label: str
    server: Server
    path: str
    baseline: str | None  # key of the target its ratio is taken to
    bodies: str | None = None  # events file to POST (webhook targets)
    expect_answer: str | None = None  # what every POST must answer, e.g. "200 queued"
    note: str = ""
    result: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.base + self.path


def warm_up(target: Target, *, count: int, secret: str, warm_bodies: list[str]) -> list[str]:
    """A few requests before the measurement (code paths, connections, caches, image
    renditions). Returns problems found."""
    problems = []
    if target.bodies is None:
        for _ in range(count):
            status, _text = fetch(target.url)
            if not 200 <= status < 400:
                problems.append(f"warm-up GET {target.path} answered {status}")
                break
        return problems
    if target.key == "webhook_fresh":
        # Events of their own: the measured ones must still be fresh.
        for body in warm_bodies:
            status, text = fetch(target.url, body=body, secret=secret)
            if (status, text) != (200, "queued"):
                problems.append(f"warm-up event answered {status} {text[:60]!r}")
                break
    elif target.key == "webhook_duplicate":
        (body,) = load_bodies("duplicate")
        status, text = fetch(target.url, body=body, secret=secret)
        if (status, text) != (200, "queued"):  # stored and queued once, first
            problems.append(f"first delivery of the duplicate answered {status} {text[:60]!r}")
        for _ in range(count):
            status, text = fetch(target.url, body=body, secret=secret)
            if (status, text) != (200, "duplicate"):
                problems.append(f"redelivery answered {status} {text[:60]!r}")
                break
    else:
        for body in warm_bodies[:count]:
            status, text = fetch(target.url, body=body, secret=secret)
            if status != 200:
                problems.append(f"warm-up POST {target.path} answered {status}")
                break
    return problems


def run_wrk(target: Target, args: argparse.Namespace, secret: str) -> dict:
    env = dict(os.environ)
    env.pop("BENCH_WRK_POST_FILE", None)
    if target.bodies is not None:
        env["BENCH_WRK_POST_FILE"] = str(write_signed(target.key, load_bodies(target.bodies),
                                                      secret))
        env["BENCH_WRK_THREADS"] = str(args.threads)
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}",
               "--latency", "--timeout", args.timeout, "-s", str(BENCH / "wrk.lua"),
               target.url]
    result = subprocess.run(command, capture_output=True, env=env)
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    (LOGS / f"wrk-{target.key}.txt").write_text(f"$ {' '.join(command)}\n{output}")
    match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed on {target.label}:\n{output[-2000:]}")
    summary = json.loads(match.group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    seconds = summary["duration_us"] / 1e6
    return {
        "requests": summary["requests"],
        "seconds": round(seconds, 2),
        "requests_per_s": round(summary["requests"] / seconds, 1),
        "latency_ms": {name: round(value / 1000, 2)
                       for name, value in summary["latency_us"].items()},
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else summary["errors"]["status"],
        "socket_errors": {name: count for name, count in summary["errors"].items()
                          if name != "status" and count},
        "answers": summary["answers"],
        "wraps": summary["wraps"],
    }


def problems_of(target: Target) -> list[str]:
    result = target.result
    problems = list(result.get("warmup_problems", []))
    if result.get("non_2xx_3xx"):
        problems.append(f"{result['non_2xx_3xx']} non-2xx/3xx responses")
    if result.get("socket_errors"):
        problems.append(f"socket errors {result['socket_errors']}")
    if target.expect_answer and result.get("answers"):
        others = {answer: count for answer, count in result["answers"].items()
                  if answer != target.expect_answer}
        if others:
            problems.append(f"answers other than {target.expect_answer!r}: {others}")
    cpu = result.get("cpu") or {}
    if cpu.get("other", 0) > OTHERS_CPU_LIMIT:
        problems.append(f"other processes used {cpu['other']:.0%} of the CPUs during the run "
                        "(the machine was not quiet: run again)")
    if target.key == "webhook_fresh" and result.get("wraps"):
        problems.append("ran out of fresh events (some were sent twice): raise --events")
    return problems


# --- report -------------------------------------------------------------------------------


def page_cache_text(info: dict) -> str:
    middleware = info.get("cache_middleware") or []
    page_cache = info.get("page_cache")
    if page_cache is not None:
        state = "on" if page_cache.get("ENABLED", True) and middleware else "off"
        return (f"{state} (middleware {', '.join(middleware) or 'none'}; PAGE_CACHE "
                f"ENABLED={page_cache.get('ENABLED')}, store "
                f"{page_cache.get('STORE')!r})")
    if middleware:
        return f"on ({', '.join(middleware)})"
    return "off (no cache middleware)"


def print_report(report: dict, targets: list[Target]) -> None:
    info = report["deployment"]
    print()
    machine = report["machine"]
    busy = machine["cpu_busy_before"]
    print(f"Benchmark {report['started']}  ({machine['cpus']} CPUs"
          + (f", {busy:.0%} busy with other processes before the runs" if busy is not None
             else "") + ")")
    print(f"  database       {info['database']} ({report['database']})")
    print(f"  gunicorn       {report['gunicorn']['workers']} sync workers per server "
          f"(shop: config.wsgi with {info['settings_module']}, DEBUG={info['debug']})")
    print(f"  wrk            {report['wrk']['threads']} threads, "
          f"{report['wrk']['connections']} connections, {report['wrk']['duration']} per "
          f"target, timeout {report['wrk']['timeout']}")
    print("  caches         " + ", ".join(f"{alias}={backend}"
                                          for alias, backend in info["caches"].items()))
    print(f"  page cache     {page_cache_text(info)}")
    if info.get("machine_endpoints"):
        print(f"  webhooks       MACHINE_ENDPOINTS {', '.join(info['machine_endpoints'])}: "
              "past the storefront middleware")
    print(f"  category page  {report['category']['url']} shows "
          f"{report['category']['shown']} products"
          + (f" (demo products added: {', '.join(report['category']['added'])})"
             if report["category"]["added"] else ""))
    print()
    header = (f"{'target':<34} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}  "
              f"{'CPU: shop wrk db other':<23} ratio to")
    print(header)
    print("-" * (len(header) + 16))
    for target in targets:
        row = target.result
        if "requests_per_s" not in row:
            print(f"{target.label:<34} {'not run':>9}")
            continue
        ratio = row.get("ratio")
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
        flag = "  <-- CHECK" if row["problems"] else ""
        cpu = row.get("cpu")
        cpu_text = (" ".join(f"{cpu[name]:>4.0%}" for name in ("servers", "wrk", "database",
                                                               "other"))
                    if cpu else "-")
        print(f"{target.label:<34} {row['requests_per_s']:>8.1f} "
              f"{row['latency_ms']['p50']:>7.1f} {row['latency_ms']['p99']:>7.1f} "
              f"{ratio_text:>6}  {cpu_text:<23} {row.get('baseline_label', '')}{flag}")
    print("CPU: share of both CPUs taken during the run by the servers under test (gunicorn), "
          "wrk, PostgreSQL and everything else.")
    print()
    for target in targets:
        for problem in target.result.get("problems", []):
            print("!" * 78)
            print(f"!!! WARNING {target.label}: {problem}")
            print("!!! This row's figures do not measure what they claim.")
            print("!" * 78)
    if report.get("tally"):
        tally = report["tally"]
        print(f"After the runs: {tally['events_not_processed']} events stored and queued by "
              f"the webhook, not applied yet ({tally['tasks_queued']} background tasks "
              f"queued, their e-mails' tasks to come).")
    worker = report.get("worker")
    if worker:
        print(f"Then one worker process (manage.py db_worker, as `make run` starts it) ran "
              f"{worker['tasks_run']} tasks in {worker['seconds']:.1f} s: applied "
              f"{worker['events_applied']} events ({worker['orders_paid']} orders paid) and "
              f"wrote {worker['emails_sent']} confirmation e-mails (file backend), "
              f"{worker['events_per_s']:.0f} events/s with their e-mails; "
              f"{worker['events_left']} events left.")


def run_worker(env: dict, *, before: dict) -> dict | None:
    """Drain the queue the webhook filled: one django-tasks-db worker, with the servers
    stopped, timed until no task is left."""
    print(f"Worker: applying the {before['events_not_processed']} queued events ...",
          flush=True)
    started = time.perf_counter()
    with (LOGS / "worker.log").open("w") as log:
        done = subprocess.run(
            [PYTHON, "manage.py", "db_worker", "--batch", "--no-startup-delay",
             "--interval", "0"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(f"(the worker failed: see {(LOGS / 'worker.log').relative_to(ROOT)})")
        return None
    return {"seconds": round(seconds, 2), "processes": 1}


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench does it)")
    started = datetime.now().astimezone()
    VAR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    shutil.rmtree(EVENTS, ignore_errors=True)
    shutil.rmtree(VAR / "page-cache", ignore_errors=True)
    LOGS.mkdir()
    database_url, database_label, media_root = database_choice()
    env, secret = deployment_environment(database_url=database_url, media_root=media_root)
    os.environ.pop("BENCH_WRK_POST_FILE", None)

    print(f"Preparing the deployment ({database_label}) in {VAR.relative_to(ROOT)}/")
    manage = [PYTHON, "manage.py"]
    with (LOGS / "setup.log").open("w") as log:
        run_step("migrate", [*manage, "migrate", "--noinput"], env, log)
        run_step("createcachetable", [*manage, "createcachetable"], env, log)
        run_step("seed_demo", [*manage, "seed_demo"], env, log)
        run_step("collectstatic", [*manage, "collectstatic", "--noinput"], env, log)
        run_step(f"orders and events ({args.events} + {args.warmup} + 1)",
                 [PYTHON, str(BENCH / "prepare.py"), str(VAR), "--events", str(args.events),
                  "--warm", str(args.warmup)], env, log)
    prepared = json.loads((VAR / "prepared.json").read_text())
    category = prepared["category"]
    counts = ", ".join(f"{url} {count}" for url, count in category["all"].items())
    print(f"  category page {category['url']} ({category['title']}): "
          f"{category['shown']} products shown"
          + (f", {len(category['added'])} demo products added to reach a full listing "
             f"(products per category before: {counts})" if category["added"] else ""))

    shop = Server("shop", "config.wsgi:application", free_port())
    bare = Server("bare", "bench.bare_wsgi:application", free_port())
    targets = [
        Target("bare", "bare Django view", bare, "/", None),
        Target("home", "home /ar/", shop, "/ar/", "bare"),
        Target("category", f"category {category['url']}", shop, category["url"], "bare"),
        Target("product", f"product {prepared['product']['url']}", shop,
               prepared["product"]["url"], "bare"),
        Target("cart", "cart /ar/cart/ (empty, uncached)", shop, "/ar/cart/", "bare"),
        Target("verify_only", "webhook: signature only", shop, VERIFY_ONLY_PATH, "bare",
               bodies="fresh", expect_answer="200 verified"),
        Target("webhook_fresh", "webhook: fresh events", shop, WEBHOOK_PATH, "verify_only",
               bodies="fresh", expect_answer="200 queued"),
        Target("webhook_duplicate", "webhook: duplicate event", shop, WEBHOOK_PATH,
               "verify_only", bodies="duplicate", expect_answer="200 duplicate"),
    ]
    by_key = {target.key: target for target in targets}
    servers = [shop, bare]
    busy = cpu_busy()
    if busy is not None:
        print(f"CPU busy before the runs (other processes): {busy:.0%}")
        if busy > 0.15:
            print("!!! Other processes keep the CPUs busy: the figures will be lower and "
                  "noisier than on an idle machine.")
    report: dict = {}
    try:
        print(f"Starting gunicorn: shop on :{shop.port}, bare Django on :{bare.port} "
              f"({args.workers} sync workers each)")
        for server in servers:
            start_server(server, workers=args.workers, env=env)
        wait_until_ready(shop, "/ar/")
        wait_until_ready(bare, "/")
        warm_bodies = load_bodies("warm")
        for target in targets:
            print(f"  {target.label:<36}", end="", flush=True)
            if args.quiet_wait > 0:
                wait_for_quiet(args.quiet_wait)
            print(" warm-up ...", end="", flush=True)
            problems = warm_up(target, count=args.warmup, secret=secret,
                               warm_bodies=warm_bodies)
            print(f" wrk {args.duration} ...", end="", flush=True)
            before = cpu_snapshot([server.process.pid for server in servers])
            target.result = run_wrk(target, args, secret)
            target.result["cpu"] = cpu_shares(
                before, cpu_snapshot([server.process.pid for server in servers]))
            target.result["warmup_problems"] = problems
            target.result["problems"] = problems_of(target)
            print(f" {target.result['requests_per_s']:.1f} req/s"
                  + ("  (CHECK)" if target.result["problems"] else ""))
    finally:
        for server in servers:
            stop_server(server)

    for target in targets:
        if target.baseline and "requests_per_s" in by_key[target.baseline].result:
            base = by_key[target.baseline]
            target.result["ratio"] = round(
                target.result["requests_per_s"] / base.result["requests_per_s"], 3)
            target.result["baseline_label"] = base.label
        elif target.baseline is None:
            target.result["ratio"] = 1.0
            target.result["baseline_label"] = "(floor of the pages)"
    first_order, last_order = prepared["order_ids"]

    def take_tally() -> dict | None:
        output = subprocess.run(
            [PYTHON, str(BENCH / "tally.py"), str(first_order), str(last_order),
             started.isoformat()], cwd=ROOT, env=env, capture_output=True, text=True)
        if output.returncode != 0:
            print(f"(tally failed: {output.stderr[-500:]})")
            return None
        return json.loads(output.stdout)

    tally = take_tally()
    worker = run_worker(env, before=tally) if tally else None
    after_worker = take_tally() if worker else None
    if worker and after_worker:
        worker.update({
            "events_applied": after_worker["events_processed"] - tally["events_processed"],
            "orders_paid": after_worker["orders_paid"] - tally["orders_paid"],
            "events_left": after_worker["events_not_processed"],
            "emails_sent": after_worker["emails_sent"] - tally["emails_sent"],
            "tasks_run": after_worker["tasks_done"] - tally["tasks_done"],
        })
        worker["events_per_s"] = round(worker["events_applied"] / worker["seconds"], 1)
    report = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform,
                    "python": sys.version.split()[0], "cpu_busy_before": busy,
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "database": database_label,
        "deployment": prepared["settings"],
        "gunicorn": {"workers": args.workers, "worker_class": "sync"},
        "wrk": {"threads": args.threads, "connections": args.connections,
                "duration": args.duration, "timeout": args.timeout},
        "category": category,
        "product": prepared["product"],
        "events": prepared["events"],
        "tally": tally,
        "worker": worker,
        "targets": [{"key": t.key, "label": t.label, "path": t.path, "baseline": t.baseline,
                     **t.result} for t in targets],
    }
    (VAR / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report, targets)
    print(f"\nResults: {(VAR / 'results.json').relative_to(ROOT)}; wrk outputs and server "
          f"logs: {LOGS.relative_to(ROOT)}/")
    return 1 if any(t.result.get("problems") for t in targets) else 0


def _stop(signum, _frame):
    print(f"\n{signal.Signals(signum).name}: stopping the servers", flush=True)
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the servers


if __name__ == "__main__":
    # Also SIGINT: a shell that starts us in the background would have it ignored.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _stop)
    sys.exit(main())
