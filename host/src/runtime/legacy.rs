//! What every frozen contract shares with the current one, said once: its
//! `types` interface holds the same error, fault and reference shapes, so
//! the conversions between the two are one macro, expanded in each
//! `legacy_v0_X.rs` where `now` names the current `types` and `types` the
//! frozen one. A frozen contract states only what differs (0.1.0 has no
//! `cancelled` error).

/// The conversions between the current contract's `types` (`now`) and a
/// frozen contract's (`types`): `error` and `error_now` for errors (the
/// variants a frozen contract lacks or adds given as extra match arms),
/// `to_old_ref` and `to_new_ref` for object references.
macro_rules! shared_type_conversions {
    (
        to_old: { $($old_pat:pat => $old_expr:expr),* $(,)? },
        to_now: { $($now_pat:pat => $now_expr:expr),* $(,)? } $(,)?
    ) => {
        /// An error of the current contract in the frozen contract's words.
        pub fn error(e: now::Error) -> types::Error {
            let info = |a: now::ApprovalInfo| types::ApprovalInfo {
                id: a.id,
                message: a.message,
            };
            match e {
                now::Error::NotFound(m) => types::Error::NotFound(m),
                now::Error::Ambiguous(c) => types::Error::Ambiguous(
                    c.into_iter()
                        .map(|c| types::Candidate {
                            ref_: to_old_ref(c.ref_),
                            path: c.path,
                        })
                        .collect(),
                ),
                now::Error::InvalidArgument(m) => types::Error::InvalidArgument(m),
                now::Error::InvalidState(m) => types::Error::InvalidState(m),
                now::Error::ApprovalRequired(a) => types::Error::ApprovalRequired(info(a)),
                now::Error::ApprovalDenied(a) => types::Error::ApprovalDenied(info(a)),
                now::Error::VsphereFault(f) => types::Error::VsphereFault(types::Fault {
                    type_name: f.type_name,
                    message: f.message,
                    detail: f.detail,
                }),
                now::Error::Timeout(m) => types::Error::Timeout(m),
                now::Error::Internal(m) => types::Error::Internal(m),
                $($old_pat => $old_expr,)*
            }
        }

        /// An error of the frozen contract in the current one's words, for
        /// the results of its tools.
        pub fn error_now(e: types::Error) -> now::Error {
            let info = |a: types::ApprovalInfo| now::ApprovalInfo {
                id: a.id,
                message: a.message,
            };
            match e {
                types::Error::NotFound(m) => now::Error::NotFound(m),
                types::Error::Ambiguous(c) => now::Error::Ambiguous(
                    c.into_iter()
                        .map(|c| now::Candidate {
                            ref_: to_new_ref(c.ref_),
                            path: c.path,
                        })
                        .collect(),
                ),
                types::Error::InvalidArgument(m) => now::Error::InvalidArgument(m),
                types::Error::InvalidState(m) => now::Error::InvalidState(m),
                types::Error::ApprovalRequired(a) => now::Error::ApprovalRequired(info(a)),
                types::Error::ApprovalDenied(a) => now::Error::ApprovalDenied(info(a)),
                types::Error::VsphereFault(f) => now::Error::VsphereFault(now::Fault {
                    type_name: f.type_name,
                    message: f.message,
                    detail: f.detail,
                }),
                types::Error::Timeout(m) => now::Error::Timeout(m),
                types::Error::Internal(m) => now::Error::Internal(m),
                $($now_pat => $now_expr,)*
            }
        }

        /// A reference in the frozen contract's words.
        pub fn to_old_ref(r: now::ObjectRef) -> types::ObjectRef {
            types::ObjectRef {
                type_: r.type_,
                value: r.value,
            }
        }

        /// A reference of the frozen contract in the current one's words.
        pub fn to_new_ref(r: types::ObjectRef) -> now::ObjectRef {
            now::ObjectRef {
                type_: r.type_,
                value: r.value,
            }
        }
    };
}

pub(crate) use shared_type_conversions;
