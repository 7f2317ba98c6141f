"""Reads every datastore with pyVmomi, as the storage tools' e2e test
compares them: prints one JSON list, sorted by id, of
{id, name, datacenter, type, capacity, freeSpace, uncommitted, accessible,
 maintenanceMode, hosts: [host ids], vms: [vm ids], url}
and, under "clusters", each cluster's name with its datastores' ids.

usage: datastores.py URL USER PASSWORD [browse DATASTORE_ID FOLDER]
With `browse`, prints instead the files SearchDatastore_Task finds in FOLDER
("" for the top) of that datastore: [{name, type, size, modified}], where
type is the FileInfo's vim25 type name and modified is null or set.
"""
import json
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def datacenter_of(entity):
    while entity is not None and not isinstance(entity, vim.Datacenter):
        entity = entity.parent
    return entity.name if entity is not None else None


def browse(si, ds_id, folder):
    ds = vim.Datastore(ds_id, si._stub)
    path = f"[{ds.name}] {folder}" if folder else f"[{ds.name}]"
    spec = vim.host.DatastoreBrowser.SearchSpec(
        matchPattern=["*"],
        details=vim.host.DatastoreBrowser.FileInfo.Details(
            fileType=True, fileSize=True, modification=True, fileOwner=False))
    task = ds.browser.SearchDatastore_Task(datastorePath=path, searchSpec=spec)
    WaitForTask(task)
    return [{"name": f.path, "type": f._wsdlName, "size": f.fileSize,
             "modified": f.modification is not None}
            for f in task.info.result.file or []]


def main(url, user, password, *rest):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        if rest and rest[0] == "browse":
            print(json.dumps(browse(si, rest[1], rest[2] if len(rest) > 2 else "")))
            return
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
