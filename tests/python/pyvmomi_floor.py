"""The floor a listing through vmware-mcp is compared with: pyVmomi reading
every VM's list columns directly from vCenter with a paged
RetrievePropertiesEx (ContinueRetrievePropertiesEx) over a container view,
PAGE objects a page (the MCP listing's default page size). Median of 3
runs; prints JSON: {"vms", "ms"}.

usage: pyvmomi_floor.py URL USER PASSWORD PAGE
"""
import json
import ssl
import statistics
import sys
import time
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vmodl, vim

COLUMNS = [
    "name", "runtime.powerState", "runtime.host", "config.hardware.numCPU",
    "config.hardware.memoryMB", "config.guestFullName", "config.guestId",
    "config.template", "guest.ipAddress",
]


def read_all(content, page):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                obj=view, skip=True,
                selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                    name="view", path="view", skip=False, type=vim.view.ContainerView)])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=COLUMNS)],
        )
        collector = content.propertyCollector
        options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page)
        result = collector.RetrievePropertiesEx([spec], options)
        count = 0
        while result is not None:
            count += len(result.objects)
            if not result.token:
                break
            result = collector.ContinueRetrievePropertiesEx(result.token)
        return count
    finally:
        view.Destroy()


def main(url, user, password, page):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        content = si.RetrieveContent()
        runs, vms = [], 0
        for _ in range(3):
            started = time.perf_counter()
            vms = read_all(content, int(page))
            runs.append(time.perf_counter() - started)
        print(json.dumps({"vms": vms, "ms": statistics.median(runs) * 1000}))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
