//! Upgrading a database keeps its data: migration 0005 gives the
//! restaurants already stored an oid and splits their opening hours the way
//! the server does, so `/api/restaurants` shows them unchanged.

use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;

backend_tests! {
    restaurants_keep_their_hours_through_the_oid_migration,
}

/// Opening hours as stored before 0005, and the `routine` the Tornado
/// seed's API shows for them after.
const OLD_HOURS: [(&str, &str, &str); 6] = [
    ("Mon-Fri 08:00-17:30", "08:00", "17:30"),
    ("Closed for the holidays", "", ""),
    ("Fri  9-17-late", "9", "17-late"),
    (" 9-17", "9", "17"),
    ("Café Lundi 9h-18h→", "9h", "18h→"),
    ("Mon ", "", ""),
];

/// Creates the schema as it was before 0005 and stores restaurants in it.
async fn database_before_0005(backend: &Backend) -> FreshDatabase {
    let database = backend.fresh_database().await;
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let rows = OLD_HOURS
        .iter()
        .enumerate()
        .map(|(i, (hours, _, _))| format!("('Old {i}', 'Here', '{hours}')"));
    let inserts = format!(
        "INSERT INTO restaurants (name, address, opening_hours) VALUES {}",
        rows.collect::<Vec<_>>().join(", ")
    );
    match backend {
        Backend::Sqlite => {
            let path = database
                .url
                .strip_prefix("sqlite://")
                .expect("a SQLite URL");
            let conn = rusqlite::Connection::open(path).expect("open");
            // The schema version counts the migrations applied (sqlite.rs).
            let older = ["0001_init", "0002_rate_limits", "0003_codes_grant"];
            for name in older {
                let file = migrations.join("sqlite").join(format!("{name}.sql"));
                let sql = std::fs::read_to_string(file).unwrap();
                conn.execute_batch(&sql).expect("an old migration");
            }
            conn.pragma_update(None, "user_version", older.len())
                .unwrap();
            conn.execute_batch(&inserts).expect("old rows");
        }
        Backend::Postgres { .. } => {
            // The migrator reads a directory: one with the older files only.
            let older = tempfile::tempdir().unwrap();
            for entry in std::fs::read_dir(migrations.join("postgres")).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                if name.as_str() < "0005" {
                    std::fs::copy(&path, older.path().join(name)).unwrap();
                }
            }
            let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
            let migrator = sqlx::migrate::Migrator::new(older.path()).await.unwrap();
            migrator.run(&pool).await.expect("the old migrations");
            sqlx::raw_sql(&inserts)
                .execute(&pool)
                .await
                .expect("old rows");
            pool.close().await;
        }
    }
    database
}

async fn get(server: &TestServer, path: &str, token: &str) -> Vec<Value> {
    let response = server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.unwrap();
    listed.as_array().unwrap().clone()
}

async fn restaurants_keep_their_hours_through_the_oid_migration(backend: Backend) {
    let database = database_before_0005(&backend).await;
    let server = TestServer::start_on(database, |_| {}).await;
    let tokens = server.password_token(Some("restaurants:read")).await;
    let token = str_field(&tokens, "access_token");
    let api = get(&server, "/api/restaurants", token).await;
    let seed = get(&server, "/restaurent", token).await;
    let mut oids = Vec::new();
    for (i, (hours, open, close)) in OLD_HOURS.iter().enumerate() {
        let name = format!("Old {i}");
        let shown = api.iter().find(|r| r["name"] == *name).expect("kept");
        assert_eq!(shown["opening_hours"], *hours);
        let shown = seed.iter().find(|r| r["Name"] == *name).expect("kept");
        let routine: HashMap<String, String> =
            serde_json::from_value(shown["routine"].clone()).unwrap();
        assert_eq!(
            (routine["open"].as_str(), routine["close"].as_str()),
            (*open, *close)
        );
        let oid = str_field(&shown["_id"], "$oid").to_owned();
        assert!(
            oid.len() == 24
                && oid
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        oids.push(oid);
    }
    oids.sort();
    oids.dedup();
    assert_eq!(oids.len(), OLD_HOURS.len(), "every oid is its own");
}
