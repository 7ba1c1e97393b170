//! `oidcc-server-rotate-keys` (Core §10.1.1): a rotation publishes a new
//! signing key and keeps the old one while tokens it signed live. The
//! suite asks the tester to rotate by hand; here the operator's command
//! `portcullis keys rotate` does, against the running server's database,
//! and the server picks the keys up on its refresh schedule.

use super::{code_flow, header, jwks, verify_id_token, Rp};
use crate::common::browser::Browser;
use crate::common::process::portcullis;
use crate::common::{Backend, TestServer};
use std::collections::HashSet;
use std::time::{Duration, Instant};

backend_tests! {
    oidcc_server_rotate_keys,
}

async fn kids(server: &TestServer) -> HashSet<String> {
    jwks(server)
        .await
        .keys
        .into_iter()
        .map(|key| key.common.key_id.expect("a kid"))
        .collect()
}

// VerifyNewJwksHasNewSigningKey and VerifyNewJwksStillHasOldSigningKey,
// and beyond them: an ID token signed before the rotation still verifies
// against the new JWK Set and still serves as an id_token_hint, and (with
// no publication delay) new ID tokens are signed with the new key. That a
// retired key leaves the set once its tokens have expired takes the
// tokens' lifetime plus five minutes: the rotation rules' own tests
// (`src/keys/rotation/tests.rs`) cover it with a given clock.
async fn oidcc_server_rotate_keys(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.key_refresh_interval = 1;
        config.key_publication_delay = 0;
    })
    .await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, tokens, _) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    let before_rotation = tokens["id_token"].as_str().unwrap().to_owned();
    let old_kid = header(&before_rotation).kid.unwrap();
    let old_kids = kids(&server).await;

    let url = server.database_url().to_owned();
    let rotated = tokio::task::spawn_blocking(move || {
        portcullis(&url, &["--key-publication-delay", "0", "keys", "rotate"]).output()
    })
    .await
    .unwrap()
    .expect("portcullis keys rotate runs");
    assert!(rotated.status.success(), "{rotated:?}");

    // The server looks at the stored keys every second.
    let deadline = Instant::now() + Duration::from_secs(5);
    let new_kids = loop {
        let now = kids(&server).await;
        if now.len() > old_kids.len() || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(new_kids.is_superset(&old_kids), "old keys still published");
    let added: HashSet<_> = new_kids.difference(&old_kids).collect();
    assert_eq!(added.len(), 3, "a successor per algorithm: {added:?}");

    verify_id_token(&server, &rp, &before_rotation).await;
    let hinted = rp
        .request("openid")
        .set("prompt", "none")
        .set("id_token_hint", &before_rotation);
    let (_, tokens, _) = code_flow(&server, &browser, &rp, &hinted).await;
    let new_kid = header(tokens["id_token"].as_str().unwrap()).kid.unwrap();
    assert_ne!(new_kid, old_kid);
    assert!(added.contains(&new_kid), "signed with the new RS256 key");
}
