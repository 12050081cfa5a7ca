//! ARC over arbitrary messages, with a key for `arc._domainkey.example.org` in an
//! in-memory resolver: `ArcValidator` on the input (any header sets the fuzzer makes,
//! including ones it builds from the sealed seeds), then our sealer adds a set: when
//! the input's chain did not fail, the sealed message must validate, and so must the
//! message sealed once more.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailsec_auth::arc::{ArcSealer, ArcValidator, ChainValidation};
use mailsec_auth::dkim::SigningKey;
use mailsec_dns::{Record, StaticResolver};
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

struct Fixture {
    sealer: ArcSealer,
    dns: StaticResolver,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let key = SigningKey::from_ed25519_seed(&[9u8; 32]).ok()?;
            let mut dns = StaticResolver::new();
            dns.add("arc._domainkey.example.org", Record::txt(&key.dns_record()));
            Some(Fixture {
                sealer: ArcSealer::new("example.org", "arc", key),
                dns,
            })
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| mailsec_fuzz::guard(|| {
    let Some(fx) = fixture() else { return };
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let validator = ArcValidator::new();
    mailsec_fuzz::block_on(async {
        let chain = validator.validate(data, &fx.dns, now).await;
        let _ = (
            chain.cv(),
            chain.reason(),
            chain.instances(),
            chain.oldest_pass(),
        );
        let _ = (
            chain.seals().len(),
            chain.message_signatures().len(),
            chain.newest_seal_failed(),
        );
        if chain.cv() == ChainValidation::Fail {
            return;
        }
        let Ok(sealed) = fx
            .sealer
            .seal_message(data, &chain, "example.org; spf=pass", now)
        else {
            return;
        };
        let again = validator.validate(&sealed, &fx.dns, now).await;
        assert_eq!(
            again.cv(),
            ChainValidation::Pass,
            "our own seal did not validate: {:?}",
            again.reason()
        );
        assert_eq!(again.instances(), chain.instances() + 1);
        if let Ok(twice) = fx
            .sealer
            .seal_message(&sealed, &again, "example.org; arc=pass", now)
        {
            let third = validator.validate(&twice, &fx.dns, now).await;
            assert_eq!(
                third.cv(),
                ChainValidation::Pass,
                "second seal did not validate: {:?}",
                third.reason()
            );
        }
    });
}));
