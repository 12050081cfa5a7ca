//! Shared pieces of the mailsec criterion benchmarks (the benchmarks
//! themselves live in `benches/`).
//!
//! [`ThreadCpuTime`] is a criterion measurement that counts the CPU time of
//! the benchmarking thread instead of wall-clock time. The machines the
//! benchmarks run on are shared: under load, wall time counts every moment
//! the thread waited for a core, which swamps the differences we compare.
//! Every contender in our groups runs on the calling thread (async code runs
//! on a current-thread runtime), so its thread CPU time is the cost per
//! message on one core, which is what the targets are stated in.

use std::time::Duration;

use cpu_time::ThreadTime;
use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// Thread CPU time (`CLOCK_THREAD_CPUTIME_ID` on Linux) as a criterion
/// measurement; reported in the same units as wall time.
///
/// ```no_run
/// use criterion::Criterion;
/// use mailsec_benches::ThreadCpuTime;
///
/// let c: Criterion<ThreadCpuTime> = Criterion::default().with_measurement(ThreadCpuTime);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }

    fn end(&self, start: ThreadTime) -> Duration {
        start.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time like criterion formats wall time.
struct CpuFormatter;

/// The unit to show `ns` nanoseconds in, and the factor to get there.
fn time_unit(ns: f64) -> (f64, &'static str) {
    if ns < 1e3 {
        (1.0, "ns")
    } else if ns < 1e6 {
        (1e-3, "µs")
    } else if ns < 1e9 {
        (1e-6, "ms")
    } else {
        (1e-9, "s")
    }
}

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = time_unit(typical);
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        // Per second of CPU time: how much one core gets through.
        let (per_iteration, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64, "B/s"),
            Throughput::Elements(n) => (n as f64, "elem/s"),
            Throughput::Bits(n) => (n as f64, "bit/s"),
            Throughput::ElementsAndBytes { elements, .. } => (elements as f64, "elem/s"),
        };
        let _ = typical;
        for v in values {
            *v = per_iteration * 1e9 / *v;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_cpu_not_sleep() {
        let m = ThreadCpuTime;
        let start = m.start();
        std::thread::sleep(Duration::from_millis(50));
        let slept = m.end(start);
        assert!(
            slept < Duration::from_millis(20),
            "sleep counted: {slept:?}"
        );
        let start = m.start();
        let mut x = 0u64;
        let until = std::time::Instant::now() + Duration::from_millis(30);
        while std::time::Instant::now() < until {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let busy = m.end(start);
        assert!(
            busy > Duration::from_millis(5),
            "busy loop not counted: {busy:?}"
        );
    }

    #[test]
    fn units() {
        let mut v = [1500.0, 2500.0];
        assert_eq!(CpuFormatter.scale_values(2000.0, &mut v), "µs");
        assert_eq!(v, [1.5, 2.5]);
    }
}
