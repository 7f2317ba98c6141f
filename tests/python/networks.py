"""Reads every network and port group with pyVmomi, as the networks tools'
e2e test compares them: prints one JSON list, sorted by id, of
{id, name, datacenter, type, switch, vlan, uplink, hosts: [host ids],
 vms: [vm ids]}
where a distributed port group's switch and VLAN come from its config, and
a standard network's from its first host's config.network.portgroup.

usage: networks.py URL USER PASSWORD
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


def wiring(net):
    """(switch, vlan, uplink) as the vSphere API states them."""
    if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
        config = net.config
        vlan = config.defaultPortConfig.vlan if config.defaultPortConfig else None
        vlan_id = vlan.vlanId if isinstance(
            vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec) else None
        switch = config.distributedVirtualSwitch
        return (switch.name if switch else None, vlan_id, bool(config.uplink))
    if type(net) is vim.Network and net.host:
        for group in net.host[0].config.network.portgroup or []:
            if group.spec.name == net.name:
                return (group.spec.vswitchName, group.spec.vlanId, False)
    return (None, None, False)


def main(url, user, password):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Network], True)
        rows = []
        for net in view.view:
            switch, vlan, uplink = wiring(net)
            rows.append({
                "id": net._moId,
                "name": net.name,
                "datacenter": datacenter_of(net),
                "type": net._wsdlName,
                "switch": switch,
                "vlan": vlan,
                "uplink": uplink,
                "hosts": [h._moId for h in net.host],
                "vms": [v._moId for v in net.vm],
            })
        view.Destroy()
        print(json.dumps(sorted(rows, key=lambda r: r["id"])))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:])
