use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = portcullis::cli::Cli::parse();
    portcullis::cli::run(cli)
}
