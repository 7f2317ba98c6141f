//! The host interfaces every frozen contract serves the same way, said
//! once: `approval` and `log` have the same shapes in 0.1.0, 0.2.0 and the
//! current contract, so each frozen version's implementation is one macro
//! expansion that copies the records across (each version's bindings are
//! distinct Rust types).

/// `approval::Host`, `log::Host` and the empty `types::Host` of a frozen
/// contract, for `PluginState`, translated onto the current interfaces.
/// Expanded in `v0_X.rs`, where `approval`, `log` and `types` name the
/// frozen interfaces, `now_approval` and `now_log` the current ones, and
/// `error` and `to_new_ref` that version's conversions.
macro_rules! frozen_approval_and_log {
    () => {
        impl approval::Host for PluginState {
            fn request(
                &mut self,
                action: approval::Action,
            ) -> Result<approval::Grant, types::Error> {
                let action = now_approval::Action {
                    operation: action.operation,
                    summary: action.summary,
                    targets: action
                        .targets
                        .into_iter()
                        .map(|t| now_approval::Target {
                            ref_: to_new_ref(t.ref_),
                            name: t.name,
                        })
                        .collect(),
                    methods: action.methods,
                    detail: action.detail,
                };
                let grant = now_approval::Host::request(self, action).map_err(error)?;
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
                    log::Level::Trace => now_log::Level::Trace,
                    log::Level::Debug => now_log::Level::Debug,
                    log::Level::Info => now_log::Level::Info,
                    log::Level::Warn => now_log::Level::Warn,
                    log::Level::Error => now_log::Level::Error,
                };
                let fields = fields
                    .into_iter()
                    .map(|f| now_log::Field {
                        key: f.key,
                        value: f.value,
                    })
                    .collect();
                now_log::Host::write(self, level, message, fields);
            }
        }

        /// A frozen `types` interface holds only types; nothing to serve.
        impl types::Host for PluginState {}
    };
}

pub(crate) use frozen_approval_and_log;
