//! Learner accounts as CSV (`username,password`, RFC 4180 quoting): what the sheet's CSV export writes
//! and what loading reads back, so a sheet printed earlier stays valid.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{AccountsError, LearnerAccounts, MAX_LEARNERS, check_account};
use crate::engine::limited_read::{self, LimitedReadError};
use crate::engine::settings::Credentials;

/// The first line of every file written; recognised (and skipped) when reading.
pub const HEADER: [&str; 2] = ["username", "password"];
/// The largest accounts file read: 500 accounts of the longest fields fit with room to spare.
pub const MAX_CSV_BYTES: u64 = 1024 * 1024;

/// Why an accounts file cannot be used; names the line and the problem.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error(transparent)]
    Read(#[from] LimitedReadError),
    #[error("{file}, line {line}: {detail}; is it a CSV file of username,password lines?")]
    Malformed {
        file: String,
        line: u64,
        detail: String,
    },
    #[error("{file}, line {line}: the text is not UTF-8; save the file as UTF-8 CSV")]
    NotUtf8 { file: String, line: u64 },
    #[error(
        "{file}, line {line}: {found} fields where 2 belong (username,password); put quotes around a value that holds a comma"
    )]
    FieldCount {
        file: String,
        line: u64,
        found: usize,
    },
    #[error("{file}, line {line}: {problem}")]
    Account {
        file: String,
        line: u64,
        problem: AccountsError,
    },
    #[error(
        "{file}, line {line}: the user name \"{username}\" was already on line {first_line}; every learner needs a user name of their own"
    )]
    Duplicate {
        file: String,
        line: u64,
        first_line: u64,
        username: String,
    },
    #[error("{file} holds more than {MAX_LEARNERS} accounts; split the class or remove some lines")]
    TooMany { file: String },
    #[error("{file} holds no accounts; expected lines of username,password under a header line")]
    Empty { file: String },
}

/// The accounts as CSV text: a header line, then one `username,password` line each.
pub fn to_csv(accounts: &LearnerAccounts) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a failure would only lose the line it was writing.
    let _ = writer.write_record(HEADER);
    for account in accounts.iter() {
        let _ = writer.write_record([&account.username, &account.password]);
    }
    writer.into_inner().unwrap_or_default()
}

/// Reads an accounts file (at most [`MAX_CSV_BYTES`]).
pub fn load(path: &Path) -> Result<LearnerAccounts, CsvError> {
    let bytes = limited_read::read_limited(path, MAX_CSV_BYTES)?;
    parse(&bytes, &path.display().to_string())
}

/// Reads accounts from CSV text; `file` names the source in messages.
pub fn parse(bytes: &[u8], file: &str) -> Result<LearnerAccounts, CsvError> {
    let file = file.to_owned();
    // Spreadsheets often save UTF-8 with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut accounts: Vec<Credentials> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for (index, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|err| CsvError::Malformed {
            file: file.clone(),
            line: err.position().map(|p| p.line()).unwrap_or(0),
            detail: err.to_string(),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut fields = Vec::with_capacity(2);
        for field in record.iter() {
            let text = std::str::from_utf8(field).map_err(|_| CsvError::NotUtf8 {
                file: file.clone(),
                line,
            })?;
            fields.push(text);
        }
        if index == 0 && is_header(&fields) {
            continue;
        }
        let [username, password] = fields[..] else {
            return Err(CsvError::FieldCount {
                file,
                line,
                found: fields.len(),
            });
        };
        let account = Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        check_account(&account).map_err(|problem| CsvError::Account {
            file: file.clone(),
            line,
            problem,
        })?;
        if let Some(first_line) = lines.insert(account.username.clone(), line) {
            return Err(CsvError::Duplicate {
                file,
                line,
                first_line,
                username: account.username,
            });
        }
        accounts.push(account);
        if accounts.len() > MAX_LEARNERS {
            return Err(CsvError::TooMany { file });
        }
    }
    if accounts.is_empty() {
        return Err(CsvError::Empty { file });
    }
    LearnerAccounts::new(accounts).map_err(|problem| CsvError::Account {
        file,
        line: 0,
        problem,
    })
}

fn is_header(fields: &[&str]) -> bool {
    fields.len() == 2
        && fields
            .iter()
            .zip(HEADER)
            .all(|(field, name)| field.trim().eq_ignore_ascii_case(name))
}

/// Where to write a CSV file next to an HTML sheet: the same name ending in `.csv`.
pub fn beside(sheet: &Path) -> PathBuf {
    sheet.with_extension("csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::accounts::generate::generate;

    fn file_error(text: &str) -> String {
        parse(text.as_bytes(), "class.csv")
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn written_accounts_read_back_the_same() {
        let accounts = generate(30, "student").expect("generated");
        assert_eq!(parse(&to_csv(&accounts), "x").expect("read"), accounts);
    }

    #[test]
    fn odd_values_are_quoted_and_survive() {
        let accounts = LearnerAccounts::new(vec![
            Credentials {
                username: "a,b".into(),
                password: "say \"hi\"".into(),
            },
            Credentials {
                username: "line".into(),
                password: "two\nlines".into(),
            },
        ])
        .expect("valid");
        let text = String::from_utf8(to_csv(&accounts)).expect("UTF-8");
        assert!(text.starts_with("username,password\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n"));
        assert_eq!(parse(text.as_bytes(), "x").expect("read"), accounts);
    }

    #[test]
    fn a_file_without_header_or_with_a_bom_still_reads() {
        let plain = parse(b"s1,pw1\ns2,pw2\n", "x").expect("read");
        assert_eq!(plain.len(), 2);
        let bom = parse(b"\xEF\xBB\xBFUsername,Password\r\ns1,pw1\r\n", "x").expect("read");
        assert_eq!(bom.as_slice()[0].username, "s1");
    }

    #[test]
    fn mistakes_name_the_line_and_the_problem() {
        assert_eq!(
            file_error("username,password\ns1,pw\ns2\n"),
            "class.csv, line 3: 1 fields where 2 belong (username,password); put quotes around a value that holds a comma"
        );
        let dup = file_error("username,password\ns1,a\ns2,b\ns1,c\n");
        assert!(
            dup.contains("line 4") && dup.contains("already on line 2"),
            "{dup}"
        );
        let empty = file_error("username,password\ns1,\n");
        assert!(
            empty.contains("line 2") && empty.contains("no password"),
            "{empty}"
        );
        assert!(file_error("username,password\n").contains("holds no accounts"));
        let bad = parse(b"s1,\xff\xfe\n", "class.csv").expect_err("refused");
        assert!(
            bad.to_string().contains("line 1: the text is not UTF-8"),
            "{bad}"
        );
    }
}
