//! `serve --learners N` and `serve --accounts FILE.csv`: learner accounts for a headless classroom
//! server, and the sheet that hands them out. Passwords go to the files asked for, never to the terminal.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::engine::RunningInfo;
use crate::engine::accounts::generate::{self, DEFAULT_PREFIX};
use crate::engine::accounts::sheet::{self, SheetTarget};
use crate::engine::accounts::{LearnerAccounts, csv_file, store};

/// The learner-account flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct AccountsArgs {
    /// Make this many learner accounts (1 to 500), `student01..studentNN` with random passwords; the
    /// broker then accepts exactly those and the instructor's (--user/--password). Needs --accounts-out.
    #[arg(long, value_name = "N", value_parser = parse_learners_arg, conflicts_with = "accounts")]
    pub learners: Option<usize>,
    /// The start of every generated user name [default: student].
    #[arg(long, value_name = "PREFIX", requires = "learners")]
    pub learner_prefix: Option<String>,
    /// Where the generated accounts go: FILE.html (a printable sheet, one card per learner, and
    /// FILE.csv beside it) or FILE.csv. Both are readable by you only. Repeat for several files.
    #[arg(long, value_name = "FILE.html|FILE.csv", requires = "learners")]
    pub accounts_out: Vec<PathBuf>,
    /// Accept the learner accounts in this CSV file (username,password lines, as --accounts-out
    /// writes them), so a sheet printed earlier keeps working after a restart.
    #[arg(long, value_name = "FILE.csv")]
    pub accounts: Option<PathBuf>,
}

fn parse_learners_arg(text: &str) -> Result<usize, String> {
    generate::parse_count(text).map_err(|e| e.to_string())
}

/// A file the accounts are written to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    Sheet(PathBuf),
    Csv(PathBuf),
}

/// The accounts the flags ask for (none when neither --learners nor --accounts is given), with the
/// files they are to be written to once the broker's ports are known.
pub struct PlannedAccounts {
    pub accounts: LearnerAccounts,
    outputs: Vec<Output>,
}

/// Reads or generates the accounts; every mistake in the flags is reported before anything starts.
pub fn plan(args: &AccountsArgs) -> anyhow::Result<Option<PlannedAccounts>> {
    if let Some(path) = &args.accounts {
        let accounts = csv_file::load(path)?;
        println!("{} read from {}", accounts.describe(), path.display());
        return Ok(Some(PlannedAccounts {
            accounts,
            outputs: Vec::new(),
        }));
    }
    let Some(count) = args.learners else {
        return Ok(None);
    };
    if args.accounts_out.is_empty() {
        anyhow::bail!(
            "--learners needs --accounts-out FILE.html or FILE.csv: the passwords are written only there, never to the terminal"
        );
    }
    let outputs = args
        .accounts_out
        .iter()
        .map(|path| output_for(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let prefix = args.learner_prefix.as_deref().unwrap_or(DEFAULT_PREFIX);
    let accounts = generate::generate(count, prefix)?;
    Ok(Some(PlannedAccounts { accounts, outputs }))
}

fn output_for(path: &Path) -> anyhow::Result<Output> {
    if path.as_os_str() == "-" {
        anyhow::bail!(
            "--accounts-out -: passwords are not written to the terminal (its output often ends up in logs or on a shared screen); give a FILE.csv or FILE.html"
        );
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => Ok(Output::Sheet(path.to_owned())),
        Some("csv") => Ok(Output::Csv(path.to_owned())),
        _ => anyhow::bail!(
            "--accounts-out {}: name the file .html (a printable sheet) or .csv (username,password lines)",
            path.display()
        ),
    }
}

/// Writes the sheets and CSV files (now that the ports are known) and says where they went.
pub fn write_outputs(planned: &PlannedAccounts, info: &RunningInfo) -> anyhow::Result<()> {
    let target = SheetTarget::new(
        info.settings.bind,
        info.tcp.port(),
        info.websocket.map(|w| w.port()),
    );
    let mut csv_written: Option<PathBuf> = None;
    for output in &planned.outputs {
        match output {
            Output::Sheet(path) => {
                store::write_private(path, sheet::to_html(&planned.accounts, &target).as_bytes())?;
                println!("learner sheet (print it): {}", path.display());
                let beside = csv_file::beside(path);
                if csv_written.as_ref() != Some(&beside)
                    && !planned.outputs.contains(&Output::Csv(beside.clone()))
                {
                    store::write_private(&beside, &csv_file::to_csv(&planned.accounts))?;
                    println!("learner accounts (CSV): {}", beside.display());
                    csv_written = Some(beside);
                }
            }
            Output::Csv(path) => {
                store::write_private(path, &csv_file::to_csv(&planned.accounts))?;
                println!("learner accounts (CSV): {}", path.display());
                csv_written = Some(path.clone());
            }
        }
    }
    if let Some(csv) = csv_written {
        println!(
            "  to accept the same accounts after a restart: serve --accounts {}",
            csv.display()
        );
    }
    Ok(())
}

/// One line for the terminal: how many accounts, their first and last user name, and the instructor's
/// user name (never a password).
pub fn announce(info: &RunningInfo) {
    let learners = &info.settings.learner_accounts;
    if learners.is_empty() {
        return;
    }
    let names = learners.as_slice();
    let range = match (names.first(), names.last()) {
        (Some(first), Some(last)) if names.len() > 1 => {
            format!(" ({} … {})", first.username, last.username)
        }
        (Some(only), _) => format!(" ({})", only.username),
        _ => String::new(),
    };
    let instructor = info
        .settings
        .credentials
        .as_ref()
        .map(|c| c.username.as_str())
        .unwrap_or("?");
    println!(
        "accepting {}{range} and the instructor's account \"{instructor}\"",
        learners.describe()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_chosen_by_extension_and_the_terminal_gets_no_passwords() {
        assert_eq!(
            output_for(Path::new("class.HTML")).expect("a sheet"),
            Output::Sheet("class.HTML".into())
        );
        assert_eq!(
            output_for(Path::new("class.csv")).expect("a CSV"),
            Output::Csv("class.csv".into())
        );
        assert!(output_for(Path::new("-")).is_err());
        let err = output_for(Path::new("class.txt")).expect_err("refused");
        assert!(err.to_string().contains(".html"));
    }
}
