//! The TOML file (`--config`): its values become the defaults of the
//! command line's arguments, so that clap applies flags > environment >
//! file > built-in defaults in one pass.

use super::*;

/// Parses the command line for `C` after reading the TOML file named by
/// `--config` (or `PORTCULLIS_CONFIG`) into the defaults of [`Config`]'s
/// arguments. The file's keys are the arguments' names; values are parsed
/// by the same parsers as flags.
pub fn parse_command_line<C: Parser>(args: Vec<OsString>) -> anyhow::Result<C> {
    let mut command = C::command();
    if let Some(path) = config_file(&args) {
        for (key, value) in read_file(&path)? {
            let known = command
                .get_arguments()
                .any(|arg| arg.get_id() == key.as_str());
            if !known || key == "config" {
                bail!(
                    "invalid config file {}: unknown key {key:?}",
                    path.display()
                );
            }
            let values = toml_values(&value).with_context(|| {
                format!("invalid config file {}: the value of {key}", path.display())
            })?;
            command = command.mut_arg(key.as_str(), |arg| arg.default_values(values));
        }
    }
    let matches = command.try_get_matches_from(args)?;
    Ok(C::from_arg_matches(&matches)?)
}

/// `--config FILE`, `--config=FILE` or `PORTCULLIS_CONFIG`.
fn config_file(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().filter_map(|a| a.to_str());
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("PORTCULLIS_CONFIG").map(PathBuf::from)
}

fn read_file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// A TOML value as the command line would spell it.
fn toml_values(value: &toml::Value) -> anyhow::Result<Vec<String>> {
    Ok(match value {
        toml::Value::String(text) => vec![text.clone()],
        toml::Value::Integer(number) => vec![number.to_string()],
        toml::Value::Boolean(flag) => vec![flag.to_string()],
        toml::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                toml::Value::String(text) => Ok(text.clone()),
                other => bail!("expected a list of strings, found {other}"),
            })
            .collect::<anyhow::Result<_>>()?,
        other => bail!("unsupported value {other}"),
    })
}
