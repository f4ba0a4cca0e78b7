"""`make bench`: issue #12's three figures from one run on the same events, and the ratio.

    python -m bench.run [--customers 2000] [--latency-seconds 30] [--warm-up-seconds 5]

(c) the core alone in memory (bench/core.py); (b) the plain confluent-kafka loop and (a) the Faust
worker under exactly-once, both catching up on the same events in Kafka (bench/kafka_bench.py);
then (a)'s commit-to-command latency at half the rate it sustained: of the events fed after a
warm-up (the worker has just started), and of all of them. The last line is (a)/(b).
Needs the local stack (`make stack-up`; `make bench` starts it).
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path

from bench import core, kafka_bench
from bench.generate import EVENTS_PER_CUSTOMER, events

# A worker that has just started is slower for its first second or two (commands at 400-1,000 ms
# where the steady state has 150-300; its first look-ups of the registry's schema and of the
# group coordinator for each producer are part of it): printed on their own, not mixed into the
# steady state a deployment runs in.
WARM_UP_S = 5.0


def latency(
    rate: float, customers: int, logs: Path
) -> tuple[list[tuple[float, float]], float, float]:
    """A fresh app and worker, fed `customers`' events at `rate` events/s once it is ready:
    (Siebel commit time, latency) of each command, when the feed began (epoch seconds, as the
    commit times are) and how long it took."""
    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    run.prepare()
    out = kafka_bench.Commands(run, run.settings.commands_topic)
    worker = kafka_bench.Worker(run, logs / "latency-worker.log")
    try:
        worker.wait_ready()
        return kafka_bench.feed_and_collect(
            out, lambda: run.produce(events(customers, seed=11), rate)
        )
    finally:
        worker.stop()
        out.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument("--warm-up-seconds", type=float, default=WARM_UP_S)
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="bench-"))

    seconds, counts, _ = core.measure(args.customers)
    n = counts["events in"]
    c_rate = n / seconds
    print(f"(c) core alone:     {n} events in {seconds:.2f} s = {c_rate:,.0f} events/s")

    run = kafka_bench.Run.new(uuid.uuid4().hex[:8])
    run.prepare()
    produced = run.produce(events(args.customers))
    b_s, b_cmds = kafka_bench.plain_loop(run, produced, kafka_bench.timeout_for(produced, 600))
    b_rate = produced / b_s
    print(
        f"(b) plain loop:     {produced} events in {b_s:.2f} s = {b_rate:,.0f} events/s "
        f"({b_cmds} commands)"
    )
    a_s, a_cmds = kafka_bench.faust_worker(
        run, logs / "worker.log", kafka_bench.timeout_for(produced)
    )
    a_rate = produced / a_s
    print(
        f"(a) Faust worker:   {produced} events in {a_s:.2f} s = {a_rate:,.0f} events/s "
        f"({a_cmds} commands, exactly-once)"
    )

    rate = max(1.0, a_rate / 2)
    fed_s = args.warm_up_seconds + args.latency_seconds
    customers = max(10, int(rate * fed_s / EVENTS_PER_CUSTOMER))
    stamped, began, fed_for = latency(rate, customers, logs)
    if stamped:
        print(
            f"(a) latency at {rate:,.0f} events/s for {fed_for:.0f} s: commit to command "
            + kafka_bench.latency_report(stamped, began, args.warm_up_seconds)
        )
    else:
        print(f"(a) latency at {rate:,.0f} events/s: no command arrived")
    print(f"logs: {logs}")
    print(f"(a)/(b) = {a_rate / b_rate:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
