//! `mailsec spf`: one SPF check.

use std::net::IpAddr;
use std::time::SystemTime;

use mailsec::auth::spf::{self, SpfConfig, SpfOutput};
use mailsec::dns::Resolver;

use crate::ctx::Ctx;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The connecting client's IP address.
    #[arg(long)]
    ip: std::net::IpAddr,
    /// The envelope sender; '' or '<>' for a bounce (then postmaster@HELO is checked).
    #[arg(long, value_name = "ADDR")]
    mail_from: String,
    /// The HELO/EHLO name the client gave.
    #[arg(long)]
    helo: Option<String>,
    /// Print JSON: {result, explanation}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<()> {
    if args.helo.is_none() && is_bounce(&args.mail_from) {
        anyhow::bail!(NEEDS_HELO);
    }
    let resolver = ctx.resolver()?;
    let config = SpfConfig::default().with_receiver(ctx.authserv_id());
    let runtime = ctx.runtime()?;
    let out = runtime.block_on(check(
        resolver.as_ref(),
        args.ip,
        &args.mail_from,
        args.helo.as_deref(),
        &config,
        ctx.now(),
    ))?;
    print!("{}", render(&out, args.json));
    Ok(())
}

const NEEDS_HELO: &str = "an empty --mail-from checks postmaster@HELO: give --helo";

/// True for the null reverse-path of a bounce.
fn is_bounce(mail_from: &str) -> bool {
    matches!(mail_from.trim(), "" | "<>")
}

/// Runs the check: the MAIL FROM identity, or `postmaster@HELO` for a
/// bounce (which therefore needs `--helo`).
async fn check(
    resolver: &dyn Resolver,
    ip: IpAddr,
    mail_from: &str,
    helo: Option<&str>,
    config: &SpfConfig,
    now: SystemTime,
) -> anyhow::Result<SpfOutput> {
    let helo = match helo {
        Some(helo) => helo,
        None if is_bounce(mail_from) => anyhow::bail!(NEEDS_HELO),
        // The %{h} macro then has nothing better to say.
        None => "unknown",
    };
    Ok(spf::check_host(resolver, ip, helo, mail_from, config, now).await)
}

/// The plain output (the result word, then the explanation when there is
/// one) or one JSON line `{"result": ..., "explanation": ...}`.
fn render(out: &SpfOutput, json: bool) -> String {
    if json {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            result: &'a str,
            explanation: Option<&'a str>,
        }
        let line = Line {
            result: out.result().as_str(),
            explanation: out.explanation(),
        };
        // Serialising two strings cannot fail; fall back to the plain word.
        match serde_json::to_string(&line) {
            Ok(text) => format!("{text}\n"),
            Err(_) => format!("{}\n", out.result()),
        }
    } else {
        match out.explanation() {
            Some(explanation) => format!("{}\n{explanation}\n", out.result()),
            None => format!("{}\n", out.result()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsec::dns::{Failure, Record, StaticResolver};

    fn dns() -> StaticResolver {
        let mut dns = StaticResolver::new();
        dns.add(
            "example.org",
            Record::txt("v=spf1 ip4:192.0.2.0/24 -all exp=why.example.org"),
        );
        dns.add("why.example.org", Record::txt("%{i} may not send for %{d}"));
        dns.add("mx.example.net", Record::txt("v=spf1 a ~all"));
        dns.add(
            "mx.example.net",
            Record::A("198.51.100.25".parse().unwrap()),
        );
        dns.fail("slow.example.org", Failure::Timeout);
        dns
    }

    fn run(ip: &str, mail_from: &str, helo: Option<&str>, json: bool) -> anyhow::Result<String> {
        let dns = dns();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let out = runtime.block_on(check(
            &dns,
            ip.parse().unwrap(),
            mail_from,
            helo,
            &SpfConfig::default(),
            SystemTime::now(),
        ))?;
        Ok(render(&out, json))
    }

    #[test]
    fn plain_and_json() {
        assert_eq!(
            run("192.0.2.1", "a@example.org", None, false).unwrap(),
            "pass\n"
        );
        assert_eq!(
            run(
                "203.0.113.9",
                "a@example.org",
                Some("mx.example.net"),
                false
            )
            .unwrap(),
            "fail\n203.0.113.9 may not send for example.org\n"
        );
        let line = run("203.0.113.9", "a@example.org", None, true).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["result"], "fail");
        assert_eq!(
            value["explanation"],
            "203.0.113.9 may not send for example.org"
        );
        let line = run("192.0.2.1", "a@example.org", None, true).unwrap();
        assert_eq!(line, "{\"result\":\"pass\",\"explanation\":null}\n");
        assert_eq!(
            run("192.0.2.1", "a@slow.example.org", None, false).unwrap(),
            "temperror\n"
        );
    }

    #[test]
    fn bounces_check_postmaster_at_helo() {
        for empty in ["", "<>"] {
            assert_eq!(
                run("198.51.100.25", empty, Some("mx.example.net"), false).unwrap(),
                "pass\n"
            );
            assert_eq!(
                run("192.0.2.1", empty, Some("mx.example.net"), false).unwrap(),
                "softfail\n"
            );
            assert!(run("192.0.2.1", empty, None, false).is_err());
        }
    }
}
