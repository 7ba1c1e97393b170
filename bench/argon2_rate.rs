//! The raw Argon2id verification rate on this core: the bound the password
//! grant is measured against. Same parameters as the server
//! (`Argon2::default()`, see src/crypto.rs), verified in a loop on the
//! calling thread, no runtime around it.
//!
//! Usage: `argon2_rate [SECONDS]` (default 5); prints JSON.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let seconds: f64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 5.0,
    };
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let stored = Argon2::default()
        .hash_password(b"pass", &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();
    let params = Argon2::default().params().clone();
    let limit = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut verified = 0u64;
    while start.elapsed() < limit {
        // Parsed each time, as the server parses the stored PHC string.
        let hash = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Argon2::default()
            .verify_password(b"pass", &hash)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        verified += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        r#"{{"verifications":{verified},"seconds":{elapsed:.3},"per_second":{:.2},"m_cost_kib":{},"t_cost":{},"p_cost":{}}}"#,
        verified as f64 / elapsed,
        params.m_cost(),
        params.t_cost(),
        params.p_cost()
    );
    Ok(())
}
