"""What every benchmark shares: its own throw-away database, the environment, the machine, statistics.

Benchmarks never touch the development or test databases: each creates `crisisdesk_bench_<name>`,
migrates it, and drops it at the end. Redis traffic goes to db 12 under a prefix of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def bench_env(*, database: str, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's processes: PostgreSQL and Redis, production-like settings."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "crisisdesk.settings",
            "DATABASE_URL": database_url(database),
            "REDIS_URL": REDIS_URL,
            "CHANNEL_LAYER_PREFIX": prefix,
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "DEBUG": "0",
            "SECURE_PRODUCTION": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "WARNING",
            "API_THROTTLE_USER": "1000000/min",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


LOCK_PATH = Path(os.environ.get("BENCH_LOCK", "/tmp/crisisdesk-benchmark.lock"))


@contextmanager
def exclusive(*, timeout: float = 900) -> Iterator[None]:
    """One benchmark at a time on a machine: they share db 12 and Celery's queue names, and two at once
    would also measure each other."""
    LOCK_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_PATH, "w") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another benchmark held {LOCK_PATH} for {timeout:.0f}s") from None
                if not announced:
                    print(f"waiting for another benchmark to finish ({LOCK_PATH})", flush=True)
                    announced = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def connections_close() -> None:
    """Close Django's connections if Django was set up (a failed migrate happens before that)."""
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


def arguments(doc: str, *, quick_help: str = "tiny sizes for CI smoke runs") -> argparse.ArgumentParser:
    """Every benchmark's command line starts the same: its docstring as help, and --quick for CI."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    return parser


def _psql(*options: str, check: bool = True) -> str:
    """psql as the benchmarks' administrator, on the maintenance database; returns what it printed."""
    command = ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres", *options]
    return subprocess.run(command, check=check, capture_output=True, text=True).stdout.strip()


def _psql_admin(sql: str) -> None:
    _psql("-v", "ON_ERROR_STOP=1", "-qc", sql)


def database_create(name: str) -> None:
    if not name.startswith("crisisdesk_bench_"):
        raise ValueError("benchmarks only create databases named crisisdesk_bench_*")
    database_drop(name)
    _psql_admin(f'CREATE DATABASE "{name}"')


def database_exists(name: str) -> bool:
    return _psql("-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def database_drop(name: str) -> None:
    if not name.startswith("crisisdesk_bench_"):
        raise ValueError("benchmarks only drop databases named crisisdesk_bench_*")
    _psql_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )


def redis_flush_bench_db() -> None:
    """Forget what a previous run left in db 12 (celery queues and this benchmark's channel layer keys)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def django_setup(env: dict[str, str], *, extra: tuple[str, ...] = ()) -> None:
    """Configure Django in this process against the benchmark database, with the benchmark's own settings
    (`extra`: the keys it set in `bench_env`)."""
    for key in (
        *extra,
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "REDIS_URL",
        "CHANNEL_LAYER_PREFIX",
        "SECRET_KEY",
        "DEBUG",
        "SECURE_PRODUCTION",
        "ALLOWED_HOSTS",
        "CELERY_TASK_ALWAYS_EAGER",
        "LOG_LEVEL",
        "API_THROTTLE_USER",
    ):
        os.environ[key] = env[key]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@contextmanager
def bench_database(
    *, database: str, prefix: str, keep: bool = False, reuse: bool = False, **extra: str
) -> Iterator[dict[str, str]]:
    """A migrated database of the benchmark's own (and a clean Redis bench db), dropped afterwards.

    `reuse` keeps what a previous run left with `keep` (an expensive load), migrated to the current code.
    """
    print_machine()
    env = bench_env(database=database, prefix=prefix, **extra)
    if not (reuse and database_exists(database)):
        database_create(database)
    redis_flush_bench_db()
    try:
        migrate(env)
        django_setup(env, extra=tuple(extra))
        yield env
    finally:
        connections_close()
        if not keep:
            database_drop(database)
        redis_flush_bench_db()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what `platform` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine() -> dict[str, str]:
    cpu = cpu_model()
    pg = _psql("-Atc", "SHOW server_version", check=False)
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        redis_version = client.info("server")["redis_version"]
        client.close()
    except Exception as error:
        redis_version = f"unavailable ({error})"
    return {
        "cpu": cpu,
        "cores": str(psutil.cpu_count(logical=True)),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "redis": redis_version,
        "load average (1, 5, 15 min)": " ".join(f"{value:.1f}" for value in os.getloadavg()),
    }


def print_machine() -> None:
    info = machine()
    print("machine: " + ", ".join(f"{key}={value}" for key, value in info.items()), flush=True)


def print_load(when: str) -> None:
    """Other processes on the machine change every figure; say how busy it was."""
    print(f"load average {when}: " + " ".join(f"{value:.1f}" for value in os.getloadavg()), flush=True)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; with fewer samples than 1/(1-fraction) it is simply the maximum."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(round(fraction * len(ordered) + 0.5))))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """Median, p95, p99 and max of durations given in seconds, printed in milliseconds."""
    ms = [value * 1000 for value in values]
    return (
        f"n={len(ms)} p50={statistics.median(ms):.2f}ms p95={percentile(ms, 0.95):.2f}ms "
        f"p99={percentile(ms, 0.99):.2f}ms max={max(ms):.2f}ms"
    )


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def process(args: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a helper process (worker, daphne) for the duration of a block, then stop it and its children."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as output:
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            _stop(child)


def _stop(child: subprocess.Popen) -> None:
    try:
        children = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    child.terminate()
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=5)
    for orphan in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            orphan.kill()


def tree_rss(pid: int) -> tuple[int, int]:
    """(total RSS of a process and its children, largest single RSS) in bytes."""
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    sizes = []
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            sizes.append(member.memory_info().rss)
    return sum(sizes), max(sizes, default=0)


LOG_DIR = ROOT / "test-artifacts" / "bench"


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A private `redis-server` on a free port for one run (broker, channel layer, cache): nothing shared
    is touched and no other run's keys are measured. Yields its URL."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--maxclients", "10000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: listening(port), timeout=20, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
