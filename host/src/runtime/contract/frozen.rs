//! What every frozen contract version shares with the latest one, said
//! once: its `types`, `approval`, `log` and `vsphere` interfaces hold the
//! same shapes (each version's bindings are distinct Rust types, so records
//! are copied across), and a frozen component is linked, described and
//! called the same way. A version's file expands [`frozen_contract`] and
//! states only what differs.

/// The translation of one frozen contract version onto the latest, expanded
/// in its `since_v0_X.rs`, where `now` names the latest contract's module,
/// `types`, `approval`, `log` and `vsphere` the frozen interfaces, and the
/// frozen `ToolGroupPlugin`/`ToolGroupPluginPre` are in scope. Generates:
/// - `error` and `error_now`, errors in either version's words, with the
///   variants a version lacks or adds given as extra match arms;
/// - `to_old_ref`, `to_new_ref`, `old_properties` and `old_objects`;
/// - the frozen `approval`, `log`, `types` and `vsphere` host interfaces for
///   `PluginState`, forwarding to the latest ones (`vsphere_since` holds the
///   `vsphere` methods the version added);
/// - `link`, `describe` (the manifest in the latest contract's record, with
///   no declared capabilities: the caller treats the group as legacy) and
///   `call` (its error in the latest contract's words).
macro_rules! frozen_contract {
    (
        error_to_old: { $($old_pat:pat => $old_expr:expr),* $(,)? },
        error_to_now: { $($now_pat:pat => $now_expr:expr),* $(,)? },
        vsphere_since: { $($vsphere_since:item)* } $(,)?
    ) => {
        /// An error of the latest contract in this version's words.
        pub fn error(e: now::types::Error) -> types::Error {
            use now::types::Error as Now;
            use types::Error as Old;
            let info = |a: now::types::ApprovalInfo| types::ApprovalInfo {
                id: a.id,
                message: a.message,
            };
            match e {
                Now::NotFound(m) => Old::NotFound(m),
                Now::Ambiguous(c) => Old::Ambiguous(
                    c.into_iter()
                        .map(|c| types::Candidate {
                            ref_: to_old_ref(c.ref_),
                            path: c.path,
                        })
                        .collect(),
                ),
                Now::InvalidArgument(m) => Old::InvalidArgument(m),
                Now::InvalidState(m) => Old::InvalidState(m),
                Now::ApprovalRequired(a) => Old::ApprovalRequired(info(a)),
                Now::ApprovalDenied(a) => Old::ApprovalDenied(info(a)),
                Now::VsphereFault(f) => Old::VsphereFault(types::Fault {
                    type_name: f.type_name,
                    message: f.message,
                    detail: f.detail,
                }),
                Now::Timeout(m) => Old::Timeout(m),
                Now::Internal(m) => Old::Internal(m),
                $($old_pat => $old_expr,)*
            }
        }

        /// An error of this version in the latest contract's words, for
        /// the results of its tools.
        pub fn error_now(e: types::Error) -> now::types::Error {
            use now::types::Error as Now;
            use types::Error as Old;
            let info = |a: types::ApprovalInfo| now::types::ApprovalInfo {
                id: a.id,
                message: a.message,
            };
            match e {
                Old::NotFound(m) => Now::NotFound(m),
                Old::Ambiguous(c) => Now::Ambiguous(
                    c.into_iter()
                        .map(|c| now::types::Candidate {
                            ref_: to_new_ref(c.ref_),
                            path: c.path,
                        })
                        .collect(),
                ),
                Old::InvalidArgument(m) => Now::InvalidArgument(m),
                Old::InvalidState(m) => Now::InvalidState(m),
                Old::ApprovalRequired(a) => Now::ApprovalRequired(info(a)),
                Old::ApprovalDenied(a) => Now::ApprovalDenied(info(a)),
                Old::VsphereFault(f) => Now::VsphereFault(now::types::Fault {
                    type_name: f.type_name,
                    message: f.message,
                    detail: f.detail,
                }),
                Old::Timeout(m) => Now::Timeout(m),
                Old::Internal(m) => Now::Internal(m),
                $($now_pat => $now_expr,)*
            }
        }

        /// A reference in this version's words.
        pub fn to_old_ref(r: now::types::ObjectRef) -> types::ObjectRef {
            types::ObjectRef {
                type_: r.type_,
                value: r.value,
            }
        }

        /// A reference of this version in the latest contract's words.
        pub fn to_new_ref(r: types::ObjectRef) -> now::types::ObjectRef {
            now::types::ObjectRef {
                type_: r.type_,
                value: r.value,
            }
        }

        /// Properties in this version's words.
        fn old_properties(props: Vec<now::vsphere::Property>) -> Vec<vsphere::Property> {
            props
                .into_iter()
                .map(|p| vsphere::Property {
                    path: p.path,
                    value: p.value,
                })
                .collect()
        }

        /// Objects in this version's words.
        fn old_objects(objects: Vec<now::vsphere::ObjectContent>) -> Vec<vsphere::ObjectContent> {
            objects
                .into_iter()
                .map(|o| vsphere::ObjectContent {
                    ref_: to_old_ref(o.ref_),
                    properties: old_properties(o.properties),
                })
                .collect()
        }

        impl vsphere::Host for PluginState {
            fn service_content(&mut self) -> Result<String, types::Error> {
                now::vsphere::Host::service_content(self).map_err(error)
            }

            fn retrieve(
                &mut self,
                request: vsphere::RetrieveRequest,
            ) -> Result<Vec<vsphere::ObjectContent>, types::Error> {
                let request = now::vsphere::RetrieveRequest {
                    object_type: request.object_type,
                    root: request.root.map(to_new_ref),
                    recursive: request.recursive,
                    properties: request.properties,
                };
                now::vsphere::Host::retrieve(self, request)
                    .map(old_objects)
                    .map_err(error)
            }

            fn invoke(
                &mut self,
                target: types::ObjectRef,
                method: String,
                arguments: String,
            ) -> Result<String, types::Error> {
                now::vsphere::Host::invoke(self, to_new_ref(target), method, arguments)
                    .map_err(error)
            }

            $($vsphere_since)*
        }

        impl approval::Host for PluginState {
            fn request(
                &mut self,
                action: approval::Action,
            ) -> Result<approval::Grant, types::Error> {
                let action = now::approval::Action {
                    operation: action.operation,
                    summary: action.summary,
                    targets: action
                        .targets
                        .into_iter()
                        .map(|t| now::approval::Target {
                            ref_: to_new_ref(t.ref_),
                            name: t.name,
                        })
                        .collect(),
                    methods: action.methods,
                    detail: action.detail,
                };
                let grant = now::approval::Host::request(self, action).map_err(error)?;
                Ok(approval::Grant {
                    id: grant.id,
                    decided_by: grant.decided_by,
                    expires_in_ms: grant.expires_in_ms,
                })
            }
        }

        impl log::Host for PluginState {
            fn write(&mut self, level: log::Level, message: String, fields: Vec<log::Field>) {
                let level = match level {
                    log::Level::Trace => now::log::Level::Trace,
                    log::Level::Debug => now::log::Level::Debug,
                    log::Level::Info => now::log::Level::Info,
                    log::Level::Warn => now::log::Level::Warn,
                    log::Level::Error => now::log::Level::Error,
                };
                let fields = fields
                    .into_iter()
                    .map(|f| now::log::Field {
                        key: f.key,
                        value: f.value,
                    })
                    .collect();
                now::log::Host::write(self, level, message, fields);
            }
        }

        /// A frozen `types` interface holds only types; nothing to serve.
        impl types::Host for PluginState {}

        /// Offer this version's host interfaces to components.
        pub fn link(
            linker: &mut wasmtime::component::Linker<PluginState>,
        ) -> wasmtime::Result<()> {
            ToolGroupPlugin::add_to_linker::<_, wasmtime::component::HasSelf<_>>(
                linker,
                |state| state,
            )
        }

        /// Instantiate and run `describe`: the manifest in the latest
        /// contract's record, with no declared capabilities.
        pub fn describe(
            pre: &ToolGroupPluginPre<PluginState>,
            store: &mut wasmtime::Store<PluginState>,
        ) -> wasmtime::Result<now::tool_group::Manifest> {
            use now::tool_group as latest;
            let m = pre
                .instantiate(&mut *store)?
                .infra_vmware_tool_group()
                .call_describe(store)?;
            Ok(latest::Manifest {
                group: m.group,
                version: m.version,
                tools: m
                    .tools
                    .into_iter()
                    .map(|t| latest::Tool {
                        name: t.name,
                        description: t.description,
                        input_schema: t.input_schema,
                        output_schema: t.output_schema,
                        annotations: latest::Annotations {
                            read_only: t.annotations.read_only,
                            destructive: t.annotations.destructive,
                            idempotent: t.annotations.idempotent,
                        },
                        invokes: Vec::new(),
                    })
                    .collect(),
                capabilities: latest::Capabilities {
                    reads: Vec::new(),
                    invokes: Vec::new(),
                },
            })
        }

        /// Instantiate and run one tool (see `since_v0_3::call`), its error
        /// in the latest contract's words.
        #[allow(clippy::type_complexity)]
        pub fn call(
            pre: &ToolGroupPluginPre<PluginState>,
            store: &mut wasmtime::Store<PluginState>,
            tool: &str,
            arguments: String,
        ) -> wasmtime::Result<wasmtime::Result<Result<String, now::types::Error>>> {
            let instance = pre.instantiate(&mut *store)?;
            Ok(instance
                .infra_vmware_tool_group()
                .call_call(store, tool, &arguments)
                .map(|r| r.map_err(error_now)))
        }
    };
}

pub(crate) use frozen_contract;
