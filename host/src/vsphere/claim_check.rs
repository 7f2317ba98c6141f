//! Checking a call's [claims](super::claims) against vCenter itself, never
//! against the index: by the object's own `name`, or by
//! `SearchIndex.FindByInventoryPath` for a path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use vmware_names::shown;

use super::claims::{Broken, Claimed, NameClaim};
use super::{Backend, CallContext};
use crate::vocabulary::{MoRef, VsError};

/// Check `claims` against vCenter: the ones it no longer agrees with. Costs
/// one targeted read per object type named, plus one `FindByInventoryPath`
/// per path, whatever the inventory's size.
pub async fn broken_claims(
    backend: &dyn Backend,
    ctx: &CallContext,
    claims: &[NameClaim],
) -> Result<Vec<Broken>, VsError> {
    let mut broken = Vec::new();
    let mut by_kind: BTreeMap<&str, Vec<MoRef>> = BTreeMap::new();
    for claim in claims {
        if let Claimed::Name(_) = claim.claimed {
            let group = by_kind.entry(claim.reference.kind.as_str()).or_default();
            if !group.contains(&claim.reference) {
                group.push(claim.reference.clone());
            }
        }
    }
    let mut names: BTreeMap<MoRef, String> = BTreeMap::new();
    for group in by_kind.values() {
        for object in backend.read(ctx, group, &["name".to_string()]).await? {
            let name = object
                .properties
                .iter()
                .find(|(p, _)| p == "name")
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string();
            names.insert(object.reference, name);
        }
    }
    let mut search_index = None;
    for claim in claims {
        let now = match &claim.claimed {
            Claimed::Name(name) => match names.get(&claim.reference) {
                Some(current) if current == name => continue,
                Some(current) => format!("vCenter now calls it {}", shown(current)),
                None => "it no longer exists".to_string(),
            },
            Claimed::Path(path) => {
                if search_index.is_none() {
                    search_index = Some(search_index_of(backend, ctx).await?);
                }
                let index = search_index.as_ref().unwrap_or(&claim.reference);
                match find_by_path(backend, ctx, index, path).await? {
                    Some(found) if found == claim.reference => continue,
                    Some(found) => format!("the path now leads to {}", found.value),
                    None => "the path now leads nowhere".to_string(),
                }
            }
        };
        broken.push(Broken {
            claim: claim.clone(),
            now,
        });
    }
    Ok(broken)
}

async fn search_index_of(backend: &dyn Backend, ctx: &CallContext) -> Result<MoRef, VsError> {
    let content = backend.service_content(ctx).await?;
    content
        .get("searchIndex")
        .and_then(MoRef::from_json)
        .ok_or_else(|| VsError::Internal("vCenter's service content names no SearchIndex".into()))
}

async fn find_by_path(
    backend: &dyn Backend,
    ctx: &CallContext,
    search_index: &MoRef,
    path: &str,
) -> Result<Option<MoRef>, VsError> {
    let mut args = Map::new();
    args.insert("inventoryPath".into(), Value::String(path.to_string()));
    let found = backend
        .invoke(ctx, search_index, "FindByInventoryPath", &args)
        .await?;
    Ok(MoRef::from_json(&found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vsphere::claims::unsettled;

    #[tokio::test]
    async fn vcenter_decides_whether_a_name_or_path_still_leads_to_the_object() {
        let sim = crate::vsphere::sim::SimBackend::demo();
        let ctx = CallContext::default();
        let web1 = sim.find_by_path("DC0/vm/web/web-01").unwrap();
        let web2 = sim.find_by_path("DC0/vm/web/web-02").unwrap();
        let claim = |argument: &str, r: &MoRef| {
            NameClaim::of_resolution(argument, r, Some("DC0/vm/web/web-01")).unwrap()
        };
        let holding = [claim("web-01", &web1), claim("DC0/vm/web/web-01", &web1)];
        assert_eq!(broken_claims(&sim, &ctx, &holding).await.unwrap(), vec![]);

        let lost = [claim("web-01", &web2), claim("DC0/vm/web/web-01", &web2)];
        let broken = broken_claims(&sim, &ctx, &lost).await.unwrap();
        assert_eq!(broken.len(), 2, "{broken:?}");
        assert!(broken[0].now.contains("'web-02'"), "{}", broken[0].now);
        assert!(broken[1].now.contains(&web1.value), "{}", broken[1].now);
        let refusal = unsettled(&broken);
        assert_eq!(refusal.kind(), "invalid_state", "{refusal}");
        assert!(
            refusal.to_string().contains("nothing was changed"),
            "{refusal}"
        );
    }
}
