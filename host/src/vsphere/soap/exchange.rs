//! One SOAP round trip: encode the call, post it, decode the reply or its
//! fault. Below the session (which logs in with it) and the client (which
//! calls through it with the session's cookie).

use std::time::Duration;

use serde_json::{Map, Value};

use super::encode::{encode_call, envelope};
use super::response::{decode_response, fault_in};
use super::transport::Transport;
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::CallContext;
use crate::vsphere::schema::Schema;

/// Encode, send and decode one call with an explicit cookie. Returns the
/// decoded result and the session cookie the server set, if any.
#[allow(clippy::too_many_arguments)]
pub(super) async fn send_raw(
    schema: &Schema,
    transport: &Transport,
    ctx: &CallContext,
    this: &MoRef,
    method: &str,
    args: &Map<String, Value>,
    cookie: Option<&str>,
    timeout: Option<Duration>,
) -> Result<(Value, Option<String>), VsError> {
    let (body, m) = encode_call(schema, this, method, args)?;
    tracing::trace!(method, target = %this, correlation_id = %ctx.correlation_id, "SOAP request");
    let reply = transport
        .post(envelope(&ctx.correlation_id, &body), cookie, timeout)
        .await?;
    if (200..300).contains(&reply.status) {
        return decode_response(schema, &reply.body, m).map(|v| (v, reply.session_cookie));
    }
    if let Some(fault) = fault_in(schema, &reply.body) {
        return Err(fault);
    }
    let snippet: String = reply.body.chars().take(200).collect();
    Err(VsError::Internal(format!(
        "{method}: HTTP {} from {}: {}",
        reply.status,
        transport.endpoint(),
        snippet.trim()
    )))
}
