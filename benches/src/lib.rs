//! Criterion benchmarks of mailsec live in `benches/`; this library is empty.
