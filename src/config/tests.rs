use super::*;

fn config(issuer: &str) -> Config {
    let mut config = Config::new("127.0.0.1:9000".parse().unwrap(), "sqlite://p.db");
    config.set_issuer(issuer);
    config
}

#[test]
fn http_issuer_on_a_public_host_is_refused() {
    let err = config("http://auth.example.com").validated().unwrap_err();
    assert!(err.to_string().contains("--insecure-http"), "{err}");
}

#[test]
fn http_issuer_on_loopback_is_allowed() {
    assert!(config("http://127.0.0.1:9000").validated().is_ok());
    assert!(config("http://localhost:9000/").validated().is_ok());
}

#[test]
fn insecure_http_allows_a_public_http_issuer() {
    let mut c = config("http://auth.example.com");
    c.insecure_http = true;
    assert!(c.validated().is_ok());
}

#[test]
fn an_uppercase_https_issuer_is_https() {
    let c = config("HTTPS://Auth.Example.COM/").validated().unwrap();
    assert_eq!(c.issuer(), "https://auth.example.com");
    assert!(c.secure_cookies());
}

#[test]
fn issuer_loses_its_trailing_slash() {
    let c = config("https://auth.example.com/").validated().unwrap();
    assert_eq!(c.issuer(), "https://auth.example.com");
}

#[test]
fn the_default_issuer_is_http_and_the_address() {
    let c = Config::new("127.0.0.1:7000".parse().unwrap(), "sqlite://p.db");
    assert_eq!(c.validated().unwrap().issuer(), "http://127.0.0.1:7000");
}

/// A command with only the settings, as the real one flattens them.
#[derive(Parser, Debug)]
struct Cli {
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Config,
}

fn file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

fn parse(args: &[&str]) -> anyhow::Result<Config> {
    let args = std::iter::once("portcullis").chain(args.iter().copied());
    let cli: Cli = parse_command_line(args.map(OsString::from).collect())?;
    cli.settings.validated()
}

#[test]
fn flags_win_over_the_file_which_wins_over_defaults() {
    let (_dir, path) = file(
        "addr = \"127.0.0.1:7000\"\ncode_ttl = 30\naccess_token_ttl = 10\n\
         scopes_supported = [\"a\", \"b c\"]\ntrust_forwarded_for = true\n",
    );
    let c = parse(&["--config", &path, "--access-token-ttl", "20"]).unwrap();
    assert_eq!(c.addr.port(), 7000);
    assert_eq!(c.code_ttl, 30);
    assert_eq!(c.access_token_ttl, 20);
    assert_eq!(c.refresh_token_ttl, 30 * 24 * 3600);
    let operator: Vec<&str> = c
        .scopes_supported
        .iter()
        .map(String::as_str)
        .skip(6)
        .collect();
    assert_eq!(operator, ["a", "b", "c"], "after OpenID Connect's six");
    assert!(c.trust_forwarded_for);
    assert_eq!(c.issuer(), "http://127.0.0.1:7000");
}

#[test]
fn registration_is_off_unless_set_and_demo_opens_it() {
    let c = parse(&[]).unwrap();
    assert_eq!(c.registration_mode(), RegistrationMode::Off);
    assert!(c.registration_endpoint().is_none());
    let demo = parse(&["--demo"]).unwrap();
    assert_eq!(demo.registration_mode(), RegistrationMode::Open);
    assert_eq!(
        demo.registration_endpoint().as_deref(),
        Some("http://127.0.0.1:9000/oauth/register")
    );
    // The operator's word wins over the demo's.
    let off = parse(&["--demo", "--registration", "off"]).unwrap();
    assert_eq!(off.registration_mode(), RegistrationMode::Off);
    let (_dir, path) = file("registration = \"token\"\n");
    let token = parse(&["--config", &path, "--demo"]).unwrap();
    assert_eq!(token.registration_mode(), RegistrationMode::Token);
    assert!(parse(&["--registration", "sometimes"]).is_err());
}

#[test]
fn self_registered_clients_get_the_open_scopes_that_are_supported() {
    // The default opens openid, profile, email and offline_access,
    // which every server supports (OpenID Connect's scopes).
    assert_eq!(
        parse(&[]).unwrap().self_registration_scopes(),
        ["openid", "profile", "email", "offline_access"]
    );
    // Only those the server supports count.
    let c = parse(&[
        "--scopes-supported",
        "profile email restaurants:read",
        "--registration-scopes",
        "openid,restaurants:read,admin",
    ])
    .unwrap();
    assert_eq!(c.self_registration_scopes(), ["openid", "restaurants:read"]);
}

#[test]
fn the_admin_listener_never_shares_the_public_port() {
    let err = parse(&["--addr", "127.0.0.1:7000", "--admin-addr", "0.0.0.0:7000"]).unwrap_err();
    assert!(err.to_string().contains("--admin-addr"), "{err}");
    let c = parse(&["--addr", "127.0.0.1:7000", "--metrics", "false"]).unwrap();
    assert_eq!(c.admin_addr.to_string(), "127.0.0.1:9001");
    assert!(!c.metrics);
    assert!(!c.access_log, "the access log is opt-in");
    assert!(parse(&["--access-log", "true"]).unwrap().access_log);
}

#[test]
fn unknown_keys_and_bad_values_in_the_file_are_errors() {
    for text in [
        "adr = \"127.0.0.1:7000\"\n",
        "code_ttl = \"soon\"\n",
        "config = \"x\"\n",
    ] {
        let (_dir, path) = file(text);
        assert!(parse(&["--config", &path]).is_err(), "{text}");
    }
}
