//! `infra:vmware@0.1.0`, the frozen first contract, served by translating to
//! the current interfaces: components built against 0.1.0 keep loading and
//! working unchanged (Zed's `since_vX` model). 0.1.0 has no `read` and no
//! `inventory`; everything it has means the same in the current contract.

use crate::runtime::bindings::v0_1::infra::vmware::{approval, log, types, vsphere};
use crate::runtime::bindings::{approval as now_approval, log as now_log, vsphere as now_vsphere};
use crate::runtime::legacy_v0_1::{error, to_new_ref, to_old_ref};
use crate::runtime::state::PluginState;

impl vsphere::Host for PluginState {
    fn service_content(&mut self) -> Result<String, types::Error> {
        now_vsphere::Host::service_content(self).map_err(error)
    }

    fn retrieve(
        &mut self,
        request: vsphere::RetrieveRequest,
    ) -> Result<Vec<vsphere::ObjectContent>, types::Error> {
        let request = now_vsphere::RetrieveRequest {
            object_type: request.object_type,
            root: request.root.map(to_new_ref),
            recursive: request.recursive,
            properties: request.properties,
        };
        let objects = now_vsphere::Host::retrieve(self, request).map_err(error)?;
        Ok(objects
            .into_iter()
            .map(|o| vsphere::ObjectContent {
                ref_: to_old_ref(o.ref_),
                properties: o
                    .properties
                    .into_iter()
                    .map(|p| vsphere::Property {
                        path: p.path,
                        value: p.value,
                    })
                    .collect(),
            })
            .collect())
    }

    fn invoke(
        &mut self,
        target: types::ObjectRef,
        method: String,
        arguments: String,
    ) -> Result<String, types::Error> {
        now_vsphere::Host::invoke(self, to_new_ref(target), method, arguments).map_err(error)
    }
}

super::legacy::frozen_approval_and_log!();
