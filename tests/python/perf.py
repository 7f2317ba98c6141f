"""Reads performance counters with pyVmomi, as the perf tools' e2e test
compares them: resolves the stats tools' counters by name from
PerformanceManager.perfCounter and runs one QueryPerf for an entity.

usage: perf.py URL USER PASSWORD TYPE ID INTERVAL SAMPLES
(TYPE is VirtualMachine or HostSystem.) Prints one JSON object:
{"counters": {name: {"key", "unit"}},
 "times": [sample times, oldest first],
 "values": {name: [raw values, oldest first]}}
vcsim 0.24 drops every 0 from a series when it encodes it (a simulator
bug: `omitempty` on each int64), so a series may be shorter than the
samples, or empty when all were 0; its values are then printed as sent.
"""
import json
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

NAMES = [
    "cpu.usage.average", "cpu.ready.summation", "mem.active.average",
    "mem.vmmemctl.average", "mem.swapped.average", "disk.read.average",
    "disk.write.average", "disk.maxTotalLatency.latest", "net.received.average",
    "net.transmitted.average",
]


def aligned(values, order):
    """A series oldest first, or as sent when vcsim shortened it."""
    if len(values) != len(order):
        return values
    return [values[i] for i in order]


def main(url, user, password, kind, entity_id, interval, samples):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        perf = si.RetrieveContent().perfManager
        counters = {}
        for c in perf.perfCounter:
            name = f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}"
            if name in NAMES:
                counters[name] = {"key": c.key, "unit": c.unitInfo.key}
        entity = getattr(vim, kind)(entity_id, si._stub)
        spec = vim.PerformanceManager.QuerySpec(
            entity=entity, intervalId=int(interval), maxSample=int(samples),
            metricId=[vim.PerformanceManager.MetricId(counterId=c["key"], instance="")
                      for c in counters.values()])
        result = perf.QueryPerf(querySpec=[spec])[0]
        order = sorted(range(len(result.sampleInfo)), key=lambda i: result.sampleInfo[i].timestamp)
        by_key = {s.id.counterId: list(s.value) for s in result.value}
        print(json.dumps({
            "counters": counters,
            "times": [result.sampleInfo[i].timestamp.isoformat() for i in order],
            "values": {name: aligned(by_key.get(c["key"], []), order)
                       for name, c in counters.items()},
        }))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
