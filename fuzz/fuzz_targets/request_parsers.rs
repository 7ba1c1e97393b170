//! Fuzzes every parser a request reaches before the protocol core: the
//! token body in its three encodings, the Basic and Bearer headers and the
//! authorize query. Any panic is a bug; errors are the expected answer.
//!
//! Run for ten minutes:
//!   RUSTC_BOOTSTRAP=1 cargo fuzz run request_parsers -- -max_total_time=600

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portcullis::http::extract::parse_arbitrary(data);
});
