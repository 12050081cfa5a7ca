//! Record data and answers.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The record types mail-security checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Mail exchanger.
    Mx,
    /// Text record (SPF, DKIM keys, DMARC policies, ...).
    Txt,
    /// Reverse-lookup pointer.
    Ptr,
    /// TLSA certificate association (DANE).
    Tlsa,
    /// Canonical name (alias).
    Cname,
}

impl RecordType {
    /// The mnemonic of the type as zone files write it (`A`, `AAAA`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ptr => "PTR",
            RecordType::Tlsa => "TLSA",
            RecordType::Cname => "CNAME",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mail-exchanger record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mx {
    /// Lower is preferred.
    pub preference: u16,
    /// The exchanger's host name, lower case, without a trailing dot.
    pub exchange: String,
}

/// A TXT record: one or more character strings of at most 255 bytes each.
///
/// SPF and DKIM read a record as the concatenation of its strings
/// ([`Txt::concat`]); DNS keeps them apart, and so does this type.
///
/// The strings are shared: cloning a `Txt` (as a resolver or cache does for
/// every answer) copies no text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Txt {
    strings: Arc<[Vec<u8>]>,
}

impl Txt {
    /// A record made of the given character strings.
    pub fn new(strings: Vec<Vec<u8>>) -> Self {
        Txt {
            strings: strings.into(),
        }
    }

    /// The character strings, in order.
    pub fn strings(&self) -> &[Vec<u8>] {
        &self.strings
    }

    /// The strings joined with nothing between them (RFC 7208 section 3.3,
    /// RFC 6376 section 3.6.2.2).
    pub fn concat(&self) -> Vec<u8> {
        self.strings.concat()
    }

    /// [`Txt::concat`] as text, invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.concat()).into_owned()
    }
}

/// A TLSA record (RFC 6698 section 2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// One record of any of the supported types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Record {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Mail exchanger.
    Mx(Mx),
    /// Text record.
    Txt(Txt),
    /// Pointer: a host name, lower case, without a trailing dot.
    Ptr(String),
    /// TLSA record.
    Tlsa(Tlsa),
    /// Alias: the canonical name, lower case, without a trailing dot.
    Cname(String),
}

impl Record {
    /// A TXT record of one string (split into 255-byte strings if longer).
    pub fn txt(text: &str) -> Self {
        let strings = text
            .as_bytes()
            .chunks(255)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>();
        Record::Txt(Txt::new(if strings.is_empty() {
            vec![Vec::new()]
        } else {
            strings
        }))
    }

    /// An MX record.
    pub fn mx(preference: u16, exchange: &str) -> Self {
        Record::Mx(Mx {
            preference,
            exchange: trim_name(exchange),
        })
    }

    /// A PTR record.
    pub fn ptr(target: &str) -> Self {
        Record::Ptr(trim_name(target))
    }

    /// A CNAME record.
    pub fn cname(target: &str) -> Self {
        Record::Cname(trim_name(target))
    }

    /// The TXT record, if this is one.
    pub(crate) fn into_txt(self) -> Option<Txt> {
        match self {
            Record::Txt(t) => Some(t),
            _ => None,
        }
    }

    /// The IPv4 address, if this is an A record.
    pub(crate) fn into_a(self) -> Option<Ipv4Addr> {
        match self {
            Record::A(ip) => Some(ip),
            _ => None,
        }
    }

    /// The IPv6 address, if this is an AAAA record.
    pub(crate) fn into_aaaa(self) -> Option<Ipv6Addr> {
        match self {
            Record::Aaaa(ip) => Some(ip),
            _ => None,
        }
    }

    /// The MX record, if this is one.
    pub(crate) fn into_mx(self) -> Option<Mx> {
        match self {
            Record::Mx(mx) => Some(mx),
            _ => None,
        }
    }

    /// The host name, if this is a PTR record.
    pub(crate) fn into_ptr(self) -> Option<String> {
        match self {
            Record::Ptr(name) => Some(name),
            _ => None,
        }
    }

    /// The TLSA record, if this is one.
    pub(crate) fn into_tlsa(self) -> Option<Tlsa> {
        match self {
            Record::Tlsa(t) => Some(t),
            _ => None,
        }
    }

    /// The type of this record.
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::A(_) => RecordType::A,
            Record::Aaaa(_) => RecordType::Aaaa,
            Record::Mx(_) => RecordType::Mx,
            Record::Txt(_) => RecordType::Txt,
            Record::Ptr(_) => RecordType::Ptr,
            Record::Tlsa(_) => RecordType::Tlsa,
            Record::Cname(_) => RecordType::Cname,
        }
    }
}

fn trim_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// A positive answer: the records, their TTL and their DNSSEC status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    records: Vec<T>,
    ttl: u32,
    authenticated: bool,
}

impl<T> Answer<T> {
    /// An answer with the given records, TTL (seconds) and DNSSEC status.
    pub fn new(records: Vec<T>, ttl: u32, authenticated: bool) -> Self {
        Answer {
            records,
            ttl,
            authenticated,
        }
    }

    /// The records of the answer (never empty for answers a resolver returns:
    /// an empty answer is [`crate::DnsError::NoData`]).
    pub fn records(&self) -> &[T] {
        &self.records
    }

    /// The records, by value.
    pub fn into_records(self) -> Vec<T> {
        self.records
    }

    /// The lowest TTL of the records, in seconds.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// True when the answer was DNSSEC-authenticated (the AD bit from a
    /// validating resolver, or a name marked secure in a static resolver).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Keeps the records `f` maps to `Some`, with the same TTL and status.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Answer<U> {
        Answer {
            records: self.records.into_iter().filter_map(f).collect(),
            ttl: self.ttl,
            authenticated: self.authenticated,
        }
    }
}
