//! Approval of state changes, enforced below the plugins.
//!
//! A plugin asks for a grant with `approval.request`; the [`gate`] checks the
//! action against the [`policy`] (and an operator, when the policy says to
//! ask) and issues a [`grants::Grant`] bound to the tool call. `vsphere.invoke`
//! then refuses every method that [`classify`] does not know to be read-only
//! unless one of the call's grants covers that method on that target, once.
//! A plugin therefore cannot change state without approval, whatever it does.
//!
//! When the policy asks, the [`channels`] decide who answers: the client's
//! user by [`elicitation`] (opt-in), else an [`operator`] through the
//! [`pending`] store that the admin API serves. Every decision and every
//! state-changing call goes to the [`audit`] trail.

pub mod audit;
pub mod channels;
pub mod client;
pub mod elicitation;
pub mod gate;
pub mod grants;
pub mod journal;
pub mod open_asks;
pub mod operator;
pub mod pending;
pub mod policy;
pub mod target_locks;
mod text;
