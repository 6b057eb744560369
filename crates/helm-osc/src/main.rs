//! `helm-osc`, also run as `helm osc`: the command line over helm-osc's library crates.
//!
//! Each command parses its flags, calls the libraries, and prints through [`output::Output`]. This
//! crate alone knows about clap, Helm's environment variables and the terminal.

mod cli;
mod commands;
mod env;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::env::HelmEnv;
use crate::output::Output;

/// What a command found: nothing to report, or findings the user must act on (exit 1).
pub enum Outcome {
    Clean,
    Findings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = match HelmEnv::from_process() {
        Ok(env) => env,
        Err(message) => {
            anstream::eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let output = Output::new(cli.output, env.debug);
    output.debug(format_args!("{env:?}"));
    let result = match cli.command {
        Command::Package(args) => commands::package::run(&args, &env, &output),
        Command::Verify(args) => commands::verify::run(&args, &output),
        Command::Images(args) => commands::images::run(&args, &env, &output),
        Command::Mapping(args) => commands::mapping::run(&args, &env, &output),
        Command::Rewrite(args) => commands::rewrite::run(&args, &env, &output),
        Command::VersionDefinition(args) => commands::convert::version_definition(&args, &output),
        Command::Convert(args) => commands::convert::run(&args, &output),
        Command::Lint(args) => commands::lint::run(&args, &env, &output),
        Command::Push(args) => commands::push::run(&args, &output),
        Command::Rehearse(args) => commands::rehearse::run(&args, &env, &output),
        Command::Version => commands::version::run(&env, &output),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(error) => {
            output.error(&error);
            ExitCode::from(1)
        }
    }
}
