//! Structured logging into the host's log.
//!
//! Lines are tagged by the host with the plugin and the tool call's
//! correlation id. Use the macros: `log::info!("powered on", vm = name, id = vm.value)`;
//! each `key = value` becomes a field (the value through `Display`).

pub use crate::bindings::infra::vmware::log::{Field, Level};

/// Write one line with fields; the macros below are shorthands for this.
pub fn write(level: Level, message: &str, fields: Vec<Field>) {
    crate::bindings::infra::vmware::log::write(level, message, &fields);
}

/// Build one field, used by the macros.
pub fn field(key: &str, value: impl std::fmt::Display) -> Field {
    Field {
        key: key.to_string(),
        value: value.to_string(),
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_at {
    ($level:ident, $message:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::log::write(
            $crate::log::Level::$level,
            &$message,
            ::std::vec![$($crate::log::field(::core::stringify!($key), &$value)),*],
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_trace {
    ($($args:tt)*) => { $crate::__log_at!(Trace, $($args)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_debug {
    ($($args:tt)*) => { $crate::__log_at!(Debug, $($args)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_info {
    ($($args:tt)*) => { $crate::__log_at!(Info, $($args)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_warn {
    ($($args:tt)*) => { $crate::__log_at!(Warn, $($args)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_error {
    ($($args:tt)*) => { $crate::__log_at!(Error, $($args)*) };
}

/// Log at trace level: `trace!("message", key = value, …)`.
pub use crate::__log_trace as trace;

/// Log at debug level: `debug!("message", key = value, …)`.
pub use crate::__log_debug as debug;

/// Log at info level: `info!("message", key = value, …)`.
pub use crate::__log_info as info;

/// Log at warn level: `warn!("message", key = value, …)`.
pub use crate::__log_warn as warn;

/// Log at error level: `error!("message", key = value, …)`.
pub use crate::__log_error as error;
