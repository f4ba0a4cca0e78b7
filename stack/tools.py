"""Kafka's own command-line tools against the local stack, without Kafka's shell scripts:
`python -m stack kafka kafka-consumer-groups --describe --group siebel-ccb-sync`.

The tools are the `kafka-tools` jar fetched with the broker (stack/pom.xml); each name maps to
the class its script in Kafka's distribution runs. `--bootstrap-server` defaults to the stack's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from stack import prereqs
from stack.config import StackConfig
from stack.procs import StackError

TOOLS: dict[str, str] = {
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
}


# as Kafka's tools-log4j2.yaml: warnings and errors on stderr, nothing else
TOOLS_LOG4J = """\
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
"""


def command(cfg: StackConfig, tool: str, args: Sequence[str]) -> list[str]:
    main = TOOLS.get(tool.removesuffix(".sh"))
    if main is None:
        raise StackError(f"unknown tool {tool!r}; one of: {', '.join(sorted(TOOLS))}")
    args = list(args)
    if "--bootstrap-server" not in args:
        args = ["--bootstrap-server", cfg.bootstrap_servers, *args]
    cfg.conf.mkdir(parents=True, exist_ok=True)
    log4j = cfg.conf / "tools-log4j2.properties"
    log4j.write_text(TOOLS_LOG4J)
    classpath = str(cfg.dist / "kafka-libs" / "*")
    return [
        prereqs.require_java(),
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        classpath,
        main,
        *args,
    ]


def run(cfg: StackConfig, tool: str, args: Sequence[str]) -> int:
    return subprocess.run(command(cfg, tool, args), check=False).returncode
