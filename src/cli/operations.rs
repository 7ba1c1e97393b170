//! `portcullis audit` and `portcullis backup`.

use super::Invocation;
use crate::audit::AuditKind;
use crate::store::AuditQuery;
use anyhow::Context;
use serde_json::json;
use std::path::Path;

/// Events per store call while listing.
const PAGE: u32 = 1000;

/// `--since`: Unix seconds, or a time ago such as `90m`, `24h` or `7d`.
pub fn parse_since(text: &str) -> anyhow::Result<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("--since takes Unix seconds or a duration like 90m, 24h or 7d"),
    };
    let ago: i64 = number
        .parse()
        .with_context(|| format!("--since {text:?} is not a duration"))?;
    Ok(crate::time::now() - ago.saturating_mul(scale))
}

/// Prints the audit events since `since`, of one kind or all.
pub(super) async fn audit(
    context: &Invocation,
    since: i64,
    kind: Option<AuditKind>,
) -> anyhow::Result<()> {
    let store = context.store().await?;
    let mut events = Vec::new();
    let mut query = AuditQuery {
        since,
        kind,
        after: 0,
        limit: PAGE,
    };
    loop {
        let page = store.audit_events(&query).await?;
        let full = page.len() == PAGE as usize;
        if let Some(last) = page.last() {
            query.after = last.id;
        }
        events.extend(page);
        if !full {
            break;
        }
    }
    let listed: Vec<_> = events
        .iter()
        .map(|e| {
            let r = &e.record;
            json!({
                "id": e.id, "at": r.at, "kind": r.kind, "actor": r.actor,
                "client_id": r.client_id, "address": r.address,
                "outcome": r.outcome, "detail": r.detail,
            })
        })
        .collect();
    context.print(json!(listed), || {
        events
            .iter()
            .map(|e| {
                let r = &e.record;
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.at,
                    r.kind,
                    r.outcome,
                    r.actor,
                    r.client_id.as_deref().unwrap_or("-"),
                    r.address.as_deref().unwrap_or("-"),
                    r.detail.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// Copies the SQLite database to `path` while the server runs.
pub(super) async fn backup(context: &Invocation, path: &Path) -> anyhow::Result<()> {
    let url = &context.config.database_url;
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "backup copies SQLite databases; back up PostgreSQL with its own tools: \
         pg_dump (see the README, \"Backup and restore\")"
    );
    let (url, destination) = (url.clone(), path.to_owned());
    let pages =
        tokio::task::spawn_blocking(move || crate::store::backup_sqlite(&url, &destination))
            .await??;
    context.print(
        json!({ "backup": path.display().to_string(), "pages": pages }),
        || format!("backed up {pages} pages to {}", path.display()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_is_unix_seconds_or_a_time_ago() {
        assert_eq!(parse_since("1700000000").unwrap(), 1_700_000_000);
        let day_ago = parse_since("1d").unwrap();
        assert!((crate::time::now() - 86_400 - day_ago).abs() <= 1);
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("").is_err());
    }
}
