"""Another vCenter client (pyVmomi) changing the inventory behind the
server's back, one step per run: the index-consistency test runs each step,
then checks the server sees the change. Prints the affected VM's id.

usage: inventory_changes.py URL USER PASSWORD STEP ARGS...
  clone SOURCE NEW      clone VM SOURCE (by name) as NEW next to it
  rename OLD NEW        rename VM OLD to NEW
  move NAME FOLDER      move VM NAME into VM folder FOLDER (created if missing)
  destroy NAME          destroy VM NAME
"""
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def find_vm(content, name):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        for vm in view.view:
            if vm.name == name:
                return vm
    finally:
        view.Destroy()
    raise SystemExit(f"no VM named {name!r}")


def vm_folder_of(vm):
    folder = vm.parent
    while not isinstance(folder.parent, vim.Datacenter):
        folder = folder.parent
    return folder


def main(url, user, password, step, *args):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        content = si.RetrieveContent()
        if step == "clone":
            source = find_vm(content, args[0])
            WaitForTask(source.CloneVM_Task(folder=source.parent, name=args[1], spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)))
            vm = find_vm(content, args[1])
        elif step == "rename":
            vm = find_vm(content, args[0])
            WaitForTask(vm.Rename_Task(args[1]))
        elif step == "move":
            vm = find_vm(content, args[0])
            root = vm_folder_of(vm)
            target = next((f for f in root.childEntity if isinstance(f, vim.Folder) and f.name == args[1]), None)
            if target is None:
                target = root.CreateFolder(args[1])
            WaitForTask(target.MoveIntoFolder_Task([vm]))
        elif step == "destroy":
            vm = find_vm(content, args[0])
            WaitForTask(vm.Destroy_Task())
        else:
            raise SystemExit(f"unknown step {step}")
        print(vm._moId)
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
