//! One module per sub-command; each owns its arguments and its `run`.

pub(crate) mod auth;
pub(crate) mod dkim;
pub(crate) mod expiry;
pub(crate) mod links;
pub(crate) mod milter;
pub(crate) mod password;
pub(crate) mod pgp;
pub(crate) mod scan;
pub(crate) mod spf;
pub(crate) mod tls;
pub(crate) mod train;
