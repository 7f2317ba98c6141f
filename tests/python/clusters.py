"""Reads every cluster and resource pool with pyVmomi, as the clusters
tools' e2e test compares them: prints
{"clusters": [{id, name, datacenter, hosts: [host ids], vms (count over the
  hosts), drs, drsLevel, ha, totalCpu, totalMemory, cpuUsed, memoryUsedMB}],
 "pools": [{id, name, path, parent (a pool's id or null), owner (name),
  cpuReservation, cpuLimit, cpuShares, memReservation, memLimit, memShares,
  expandable, cpuUsed (MHz), memUsedBytes, vms (count)}]}
each sorted by id. An unset DRS or HA flag reads as false.

usage: clusters.py URL USER PASSWORD [pool CLUSTER_ID NAME]
With `pool`, creates instead a child pool NAME of the cluster's root pool
(CPU: 500 MHz reserved, 2000 limit, high shares; memory: 256 MB reserved,
1024 limit, normal shares, neither expandable) and prints its id.
"""
import json
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


def datacenter_of(entity):
    while entity is not None and not isinstance(entity, vim.Datacenter):
        entity = entity.parent
    return entity.name if entity is not None else None


def path_of(entity):
    """The inventory path: the datacenter's name, then each name below it."""
    names = []
    while entity is not None and not isinstance(entity, vim.Datacenter):
        names.append(entity.name)
        entity = entity.parent
    return "/".join([entity.name] + names[::-1])


def cluster_row(c):
    config = c.configurationEx
    drs, das = config.drsConfig, config.dasConfig
    stats = [h.summary.quickStats for h in c.host]
    return {
        "id": c._moId,
        "name": c.name,
        "datacenter": datacenter_of(c),
        "hosts": [h._moId for h in c.host],
        "vms": sum(len(h.vm) for h in c.host),
        "drs": bool(drs.enabled) if drs else False,
        "drsLevel": drs.defaultVmBehavior if drs else None,
        "ha": bool(das.enabled) if das else False,
        "totalCpu": c.summary.totalCpu,
        "totalMemory": c.summary.totalMemory,
        "cpuUsed": sum(s.overallCpuUsage or 0 for s in stats),
        "memoryUsedMB": sum(s.overallMemoryUsage or 0 for s in stats),
    }


def pool_row(p):
    cpu, mem = p.config.cpuAllocation, p.config.memoryAllocation
    return {
        "id": p._moId,
        "name": p.name,
        "path": path_of(p),
        "parent": p.parent._moId if isinstance(p.parent, vim.ResourcePool) else None,
        "owner": p.owner.name,
        "cpuReservation": cpu.reservation,
        "cpuLimit": cpu.limit,
        "cpuShares": cpu.shares.level,
        "memReservation": mem.reservation,
        "memLimit": mem.limit,
        "memShares": mem.shares.level,
        "expandable": cpu.expandableReservation,
        "cpuUsed": p.runtime.cpu.overallUsage,
        "memUsedBytes": p.runtime.memory.overallUsage,
        "vms": len(p.vm),
    }


def make_pool(si, cluster_id, name):
    cluster = vim.ClusterComputeResource(cluster_id, si._stub)

    def allocation(reservation, limit, level):
        return vim.ResourceAllocationInfo(
            reservation=reservation, limit=limit, expandableReservation=False,
            shares=vim.SharesInfo(level=level, shares=0))

    spec = vim.ResourceConfigSpec(cpuAllocation=allocation(500, 2000, "high"),
                                  memoryAllocation=allocation(256, 1024, "normal"))
    return cluster.resourcePool.CreateResourcePool(name=name, spec=spec)._moId


def main(url, user, password, *rest):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        if rest and rest[0] == "pool":
            print(json.dumps(make_pool(si, rest[1], rest[2])))
            return
        content = si.RetrieveContent()
        out = {}
        for key, kind, row in (("clusters", vim.ClusterComputeResource, cluster_row),
                               ("pools", vim.ResourcePool, pool_row)):
            view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
            out[key] = sorted((row(o) for o in view.view), key=lambda r: r["id"])
            view.Destroy()
        print(json.dumps(out))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
