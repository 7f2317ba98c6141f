"""Reads every datastore with pyVmomi, as the storage tools' e2e test
compares them: prints one JSON list, sorted by id, of
{id, name, datacenter, type, capacity, freeSpace, uncommitted, accessible,
 maintenanceMode, hosts: [host ids], vms: [vm ids], url}
and, under "clusters", each cluster's name with its datastores' ids.

usage: datastores.py URL USER PASSWORD
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


def main(url, user, password):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
        rows = []
        for ds in view.view:
            s = ds.summary
            rows.append({
                "id": ds._moId,
                "name": ds.name,
                "datacenter": datacenter_of(ds),
                "type": s.type,
                "capacity": s.capacity,
                "freeSpace": s.freeSpace,
                "uncommitted": s.uncommitted or 0,
                "accessible": s.accessible,
                "maintenanceMode": s.maintenanceMode,
                "hosts": sorted(m.key._moId for m in ds.host),
                "vms": sorted(v._moId for v in ds.vm),
                "url": s.url,
            })
        view.Destroy()
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.ClusterComputeResource], True)
        clusters = [{"name": c.name, "datastores": sorted(d._moId for d in c.datastore)}
                    for c in view.view]
        view.Destroy()
        print(json.dumps({"datastores": sorted(rows, key=lambda r: r["id"]),
                          "clusters": clusters}))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
