"""Another vCenter client (pyVmomi) that changes the inventory on command,
in one session kept open, so that a test can act on the server the moment
a change is done (no interpreter start-up in between).

usage: vsphere_driver.py URL USER PASSWORD
Reads one command a line on stdin and answers one line on stdout:
  rename ID NAME        rename the VM with managed object id ID; prints ok
  clone ID NAME         clone VM ID next to it as NAME (powered off); prints the new id
  power ID              prints the VM's power state
  poweron ID            powers the VM on if it is off; prints ok
  name ID               prints the VM's name
  snapshot ID NAME      takes a disk-only snapshot of the VM named NAME (even when
                        the VM already has one of that name); prints its id
  snapshots ID          prints the VM's snapshots as JSON:
                        {"current": ID or null, "tree": [[path, id], ...]}
  poweroff ID           powers the VM off if it is on; prints ok
  vm ID                 prints the VM as JSON: {"name", "power", "numCPU", "memoryMB",
                        "host", "datastores", "pool", "folder"} (names), or "gone"
                        when vCenter no longer knows it
  powerevents AFTER     prints the power-on and power-off events vCenter logged
                        with a key above AFTER, as JSON: [[key, type, vm id], ...]
                        (vcsim keeps its last 1,000 events; ask often enough)
"""
import json
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl


def snapshot_paths(vm):
    found = []

    def walk(nodes, prefix):
        for node in nodes:
            path = f"{prefix}/{node.name}" if prefix else node.name
            found.append([path, node.snapshot._moId])
            walk(node.childSnapshotList, path)

    if vm.snapshot is not None:
        walk(vm.snapshot.rootSnapshotList, "")
    return found


def describe(vm):
    try:
        name = vm.name
    except vmodl.fault.ManagedObjectNotFound:
        return "gone"
    return json.dumps({
        "name": name,
        "power": str(vm.runtime.powerState),
        "numCPU": vm.config.hardware.numCPU,
        "memoryMB": vm.config.hardware.memoryMB,
        "host": vm.runtime.host.name,
        "datastores": sorted(d.name for d in vm.datastore),
        "pool": vm.resourcePool.name if vm.resourcePool else None,
        "folder": vm.parent.name,
    })


def main(url, user, password):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    stub = si._stub
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            op, vm_id, rest = words[0], words[1], words[2:]
            vm = vim.VirtualMachine(vm_id, stub)
            if op == "rename":
                WaitForTask(vm.Rename_Task(" ".join(rest)))
                answer = "ok"
            elif op == "clone":
                spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)
                task = vm.CloneVM_Task(folder=vm.parent, name=" ".join(rest), spec=spec)
                WaitForTask(task)
                answer = task.info.result._moId
            elif op == "power":
                answer = str(vm.runtime.powerState)
            elif op == "poweron":
                if vm.runtime.powerState != "poweredOn":
                    WaitForTask(vm.PowerOnVM_Task())
                answer = "ok"
            elif op == "poweroff":
                if vm.runtime.powerState == "poweredOn":
                    WaitForTask(vm.PowerOffVM_Task())
                answer = "ok"
            elif op == "vm":
                answer = describe(vm)
            elif op == "name":
                answer = vm.name
            elif op == "snapshot":
                task = vm.CreateSnapshot_Task(name=" ".join(rest), description="", memory=False, quiesce=False)
                WaitForTask(task)
                answer = task.info.result._moId
            elif op == "powerevents":
                spec = vim.event.EventFilterSpec(
                    eventTypeId=["VmPoweredOnEvent", "VmPoweredOffEvent"], maxCount=1000)
                events = si.content.eventManager.QueryEvents(spec)
                answer = json.dumps(sorted(
                    [e.key, type(e).__name__.split(".")[-1], e.vm.vm._moId]
                    for e in events if e.key > int(vm_id)))
            elif op == "snapshots":
                current = vm.snapshot.currentSnapshot._moId if vm.snapshot and vm.snapshot.currentSnapshot else None
                answer = json.dumps({"current": current, "tree": snapshot_paths(vm)})
            else:
                answer = f"error: unknown command {op}"
            print(answer, flush=True)
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
