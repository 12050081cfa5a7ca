//! MTA-STS discovery with a real HTTPS client (`ureq` over rustls with the
//! Web PKI roots) and the system's DNS.
//!
//! ```text
//! cargo run -p mailsec-transport --example mta_sts_fetch -- gmail.com [MX-HOST CHAIN.pem]
//! ```
//!
//! Prints the policy found for the domain; with an MX host and the PEM
//! chain it presented, also the delivery decision.
#![allow(clippy::print_stdout)]

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use mailsec_dns::HickoryResolver;
use mailsec_transport::cert::pem_chain_to_der;
use mailsec_transport::mta_sts::{
    FetchError, MAX_POLICY_LEN, PkixStatus, PolicyCache, PolicyFetcher, PolicyLookup, discover,
    evaluate,
};

/// Fetches policies as RFC 8461 section 3.3 asks: HTTPS with certificate
/// validation (ureq's default rustls + webpki-roots), no redirects, only
/// status 200, a size cap and a timeout.
struct UreqFetcher {
    agent: ureq::Agent,
}

impl UreqFetcher {
    fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        UreqFetcher {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    fn fetch_blocking(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut response = agent.get(url).call().map_err(|e| {
            let webpki = matches!(e, ureq::Error::Rustls(_) | ureq::Error::Tls(_));
            let err = FetchError::with_source("HTTPS request failed", e);
            if webpki { err.webpki() } else { err }
        })?;
        if response.status() != 200 {
            return Err(FetchError::new(format!(
                "HTTP status {}",
                response.status()
            )));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_POLICY_LEN as u64)
            .read_to_vec()
            .map_err(|e| FetchError::with_source("cannot read the policy body", e))
    }
}

#[async_trait]
impl PolicyFetcher for UreqFetcher {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        // ureq blocks: run it off the async executor.
        let agent = self.agent.clone();
        let url = url.to_owned();
        tokio::task::spawn_blocking(move || Self::fetch_blocking(&agent, &url))
            .await
            .map_err(|e| FetchError::with_source("fetch task failed", e))?
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let domain = args
        .next()
        .ok_or("usage: mta_sts_fetch DOMAIN [MX-HOST CHAIN.pem]")?;
    let resolver = HickoryResolver::from_system_conf()?;
    let cache = PolicyCache::new();
    let fetcher = UreqFetcher::new();
    let now = SystemTime::now();
    let lookup = discover(&resolver, Some(&fetcher), &cache, &domain, now).await;
    match &lookup {
        PolicyLookup::Found { id, policy, cached } => {
            println!("policy id {id} (cached: {cached}):");
            for line in policy.to_lines() {
                println!("  {line}");
            }
        }
        PolicyLookup::NoPolicy => println!("{domain} publishes no MTA-STS policy"),
        PolicyLookup::Unavailable(problem) => {
            println!("policy unavailable ({}): {problem}", problem.result_type())
        }
        other => println!("{other:?}"),
    }
    if let (Some(mx), Some(pem), PolicyLookup::Found { policy, .. }) =
        (args.next(), args.next(), &lookup)
    {
        let chain = pem_chain_to_der(&std::fs::read(pem)?)?;
        let decision = evaluate(policy, &mx, &chain, PkixStatus::NotChecked, now);
        println!(
            "deliver to {mx}: {} ({:?}), may deliver: {}",
            decision.result().as_str(),
            decision.result(),
            decision.may_deliver()
        );
    }
    Ok(())
}
