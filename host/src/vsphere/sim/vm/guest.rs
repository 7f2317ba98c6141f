//! The guest operating systems the simulator knows: vSphere's guest ids with
//! vCenter's display names and families, which fixtures check a VM's
//! `guestId` against and `guest.*` reports.

/// vSphere guest OS ids the simulator knows, with vCenter's display names.
const GUESTS: &[(&str, &str)] = &[
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)"),
    ("debian11_64Guest", "Debian GNU/Linux 11 (64-bit)"),
    ("debian12_64Guest", "Debian GNU/Linux 12 (64-bit)"),
    ("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"),
    ("rhel9_64Guest", "Red Hat Enterprise Linux 9 (64-bit)"),
    ("centos8_64Guest", "CentOS 8 (64-bit)"),
    ("rockylinux_64Guest", "Rocky Linux (64-bit)"),
    ("almalinux_64Guest", "AlmaLinux (64-bit)"),
    ("sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)"),
    ("photon64Guest", "VMware Photon OS (64-bit)"),
    ("other4xLinux64Guest", "Other 4.x Linux (64-bit)"),
    ("other5xLinux64Guest", "Other 5.x or later Linux (64-bit)"),
    ("otherLinux64Guest", "Other Linux (64-bit)"),
    (
        "windows9Server64Guest",
        "Microsoft Windows Server 2016 (64-bit)",
    ),
    (
        "windows2019srv_64Guest",
        "Microsoft Windows Server 2019 (64-bit)",
    ),
    (
        "windows2019srvNext_64Guest",
        "Microsoft Windows Server 2022 (64-bit)",
    ),
    (
        "windows2022srvNext_64Guest",
        "Microsoft Windows Server 2025 (64-bit)",
    ),
    ("windows9_64Guest", "Microsoft Windows 10 (64-bit)"),
    ("windows11_64Guest", "Microsoft Windows 11 (64-bit)"),
    ("freebsd13_64Guest", "FreeBSD 13 (64-bit)"),
    ("otherGuest64", "Other (64-bit)"),
    ("otherGuest", "Other (32-bit)"),
];

/// vCenter's display name for a guest id.
pub(in crate::vsphere::sim) fn guest_full_name(guest_id: &str) -> Option<&'static str> {
    GUESTS
        .iter()
        .find(|(id, _)| *id == guest_id)
        .map(|(_, n)| *n)
}

/// The guest ids the simulator knows, for error messages.
pub(in crate::vsphere::sim) fn known_guest_ids() -> Vec<&'static str> {
    GUESTS.iter().map(|(id, _)| *id).collect()
}

/// `guest.guestFamily` for a guest id.
pub(super) fn guest_family(guest_id: &str) -> &'static str {
    let g = guest_id.to_ascii_lowercase();
    if g.starts_with("win") {
        "windowsGuest"
    } else if [
        "linux", "ubuntu", "debian", "rhel", "centos", "rocky", "alma", "sles", "photon",
    ]
    .iter()
    .any(|k| g.contains(k))
    {
        "linuxGuest"
    } else {
        "otherGuestFamily"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_names_and_families() {
        assert_eq!(
            guest_full_name("ubuntu64Guest"),
            Some("Ubuntu Linux (64-bit)")
        );
        assert_eq!(guest_family("windows2019srv_64Guest"), "windowsGuest");
        assert_eq!(guest_family("rhel9_64Guest"), "linuxGuest");
    }
}
