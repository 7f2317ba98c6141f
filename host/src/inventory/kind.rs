//! What kind of object an argument names. The kind decides which indexed
//! objects are candidates and the words used in errors.

/// A kind of inventory object a tool argument can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A `VirtualMachine` (templates included).
    VirtualMachine,
    /// A `HostSystem`.
    HostSystem,
    /// Any `Folder`.
    Folder,
    /// A `Folder` in a datacenter's VM tree (below its `vm` folder, or that
    /// folder itself): where VMs can be created.
    VmFolder,
    /// A `Datacenter`.
    Datacenter,
    /// A `ClusterComputeResource`.
    Cluster,
    /// A VM folder or a `Datacenter`: what can scope a listing of VMs. Host,
    /// datastore and network folders are left out so that a plain name like
    /// `web` does not become ambiguous.
    Container,
    /// A `Datastore`.
    Datastore,
    /// A `Network` or one of its subtypes (port groups).
    Network,
    /// A `ResourcePool` (vApps included).
    ResourcePool,
}

impl Kind {
    /// The words for this kind in messages, e.g. `virtual machine`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "virtual machine",
            Kind::HostSystem => "host",
            Kind::Folder => "folder",
            Kind::VmFolder => "VM folder",
            Kind::Datacenter => "datacenter",
            Kind::Cluster => "cluster",
            Kind::Container => "VM folder or datacenter",
            Kind::Datastore => "datastore",
            Kind::Network => "network",
            Kind::ResourcePool => "resource pool",
        }
    }

    /// An example inventory path for this kind, for error messages.
    pub fn path_example(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "DC0/vm/folder/vm-name",
            Kind::HostSystem => "DC0/host/cluster/host-name",
            Kind::Cluster => "DC0/host/cluster",
            Kind::Datacenter => "DC0",
            Kind::Folder | Kind::VmFolder | Kind::Container => "DC0/vm/folder",
            Kind::Datastore => "DC0/datastore/ds-name",
            Kind::Network => "DC0/network/net-name",
            Kind::ResourcePool => "DC0/host/cluster/Resources/pool",
        }
    }

    /// The managed object types whose objects can be of this kind (a
    /// `VmFolder` is further narrowed by its place in the tree).
    pub fn types(self) -> &'static [&'static str] {
        match self {
            Kind::VirtualMachine => &["VirtualMachine"],
            Kind::HostSystem => &["HostSystem"],
            Kind::Folder | Kind::VmFolder => &["Folder"],
            Kind::Datacenter => &["Datacenter"],
            Kind::Cluster => &["ClusterComputeResource"],
            Kind::Container => &["Folder", "Datacenter"],
            Kind::Datastore => &["Datastore"],
            Kind::Network => &["Network", "DistributedVirtualPortgroup", "OpaqueNetwork"],
            Kind::ResourcePool => &["ResourcePool", "VirtualApp"],
        }
    }
}
