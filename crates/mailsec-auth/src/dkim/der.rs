//! The little DER (X.690) DKIM needs: reading RSA public keys (SPKI or bare
//! PKCS#1), PKCS#8 and PKCS#1 private-key envelopes, and writing SPKI.

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

/// OID 1.2.840.113549.1.1.1 (rsaEncryption), content octets.
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// OID 1.3.101.112 (id-Ed25519), content octets.
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A cursor over DER elements.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// Reads one element: (tag, content).
    pub(crate) fn read(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let (bytes, after) = rest.split_at_checked(n)?;
            rest = after;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let (content, after) = rest.split_at_checked(len)?;
        self.data = after;
        Some((tag, content))
    }

    /// Reads one element that must have the given tag.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read()? {
            (t, content) if t == tag => Some(content),
            _ => None,
        }
    }
}

/// The number of significant bits of a DER INTEGER's content (unsigned).
fn integer_bits(content: &[u8]) -> usize {
    let mut bytes = content;
    while let Some((&0, rest)) = bytes.split_first() {
        bytes = rest;
    }
    match bytes.first() {
        Some(&b) => bytes.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
}

/// An RSA public key from a DKIM `p=` value: a SubjectPublicKeyInfo (what RFC
/// 6376 prescribes) or a bare PKCS#1 RSAPublicKey (which some publishers use).
/// Returns the PKCS#1 RSAPublicKey DER (what ring verifies with) and the
/// modulus size in bits.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<(&[u8], usize)> {
    let mut outer = Reader::new(der);
    let seq = outer.expect(SEQUENCE)?;
    let mut inner = Reader::new(seq);
    let (tag, first) = inner.read()?;
    let pkcs1 = match tag {
        SEQUENCE => {
            let mut alg = Reader::new(first);
            if alg.expect(OID)? != OID_RSA {
                return None;
            }
            let bits = inner.expect(BIT_STRING)?;
            let (&unused, key) = bits.split_first()?;
            if unused != 0 {
                return None;
            }
            key
        }
        INTEGER => der,
        _ => return None,
    };
    let mut key = Reader::new(pkcs1);
    let mut fields = Reader::new(key.expect(SEQUENCE)?);
    let modulus = fields.expect(INTEGER)?;
    fields.expect(INTEGER)?;
    Some((pkcs1, integer_bits(modulus)))
}

/// The modulus size of a PKCS#1 RSAPrivateKey.
pub(crate) fn rsa_private_key_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut outer = Reader::new(pkcs1);
    let mut fields = Reader::new(outer.expect(SEQUENCE)?);
    fields.expect(INTEGER)?; // version
    Some(integer_bits(fields.expect(INTEGER)?))
}

/// The public modulus and exponent of a PKCS#1 RSAPrivateKey, as the
/// PKCS#1 RSAPublicKey DER.
pub(crate) fn rsa_public_from_private(pkcs1: &[u8]) -> Option<Vec<u8>> {
    let mut outer = Reader::new(pkcs1);
    let mut fields = Reader::new(outer.expect(SEQUENCE)?);
    fields.expect(INTEGER)?;
    let n = fields.expect(INTEGER)?;
    let e = fields.expect(INTEGER)?;
    let mut body = tlv(INTEGER, n);
    body.extend_from_slice(&tlv(INTEGER, e));
    Some(tlv(SEQUENCE, &body))
}

/// A PKCS#8 PrivateKeyInfo (v1 or v2): the algorithm OID and the private key
/// octets.
pub(crate) fn pkcs8(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut fields = Reader::new(outer.expect(SEQUENCE)?);
    fields.expect(INTEGER)?;
    let mut alg = Reader::new(fields.expect(SEQUENCE)?);
    let oid = alg.expect(OID)?;
    let key = fields.expect(OCTET_STRING)?;
    Some((oid, key))
}

/// A DER element.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// The SubjectPublicKeyInfo of an RSA key given as PKCS#1 RSAPublicKey DER.
pub(crate) fn rsa_spki(pkcs1_public: &[u8]) -> Vec<u8> {
    let mut alg = tlv(OID, OID_RSA);
    alg.extend_from_slice(&[NULL, 0]);
    let mut body = tlv(SEQUENCE, &alg);
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1_public);
    body.extend_from_slice(&tlv(BIT_STRING, &bits));
    tlv(SEQUENCE, &body)
}

/// A PKCS#8 v1 PrivateKeyInfo for an RSA key given as PKCS#1 RSAPrivateKey.
pub(crate) fn rsa_pkcs8(pkcs1_private: &[u8]) -> Vec<u8> {
    let mut body = tlv(INTEGER, &[0]);
    let mut alg = tlv(OID, OID_RSA);
    alg.extend_from_slice(&[NULL, 0]);
    body.extend_from_slice(&tlv(SEQUENCE, &alg));
    body.extend_from_slice(&tlv(OCTET_STRING, pkcs1_private));
    tlv(SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_round_trip() {
        let pkcs1 = {
            let mut b = tlv(INTEGER, &[0x00, 0xc1, 0x02, 0x03]);
            b.extend_from_slice(&tlv(INTEGER, &[1, 0, 1]));
            tlv(SEQUENCE, &b)
        };
        let spki = rsa_spki(&pkcs1);
        let (key, bits) = rsa_public_key(&spki).unwrap();
        assert_eq!(key, &pkcs1[..]);
        assert_eq!(bits, 24);
        assert_eq!(rsa_public_key(&pkcs1).unwrap().1, 24);
        assert!(rsa_public_key(&[0x30, 0x82, 0xff]).is_none());
    }

    #[test]
    fn long_lengths() {
        let content = vec![7u8; 300];
        let t = tlv(OCTET_STRING, &content);
        assert_eq!(&t[..4], &[OCTET_STRING, 0x82, 0x01, 0x2c]);
        assert_eq!(Reader::new(&t).read().unwrap().1.len(), 300);
    }
}
