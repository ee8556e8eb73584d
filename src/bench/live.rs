//! The live line printed once a second while a run goes on: on stdout, or on stderr with --json (so
//! stdout holds the summary alone).

pub struct Live {
    to_stderr: bool,
}

impl Live {
    pub fn new(json: bool) -> Self {
        Self { to_stderr: json }
    }

    pub fn line(&self, text: &str) {
        if self.to_stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
}

/// "1 publisher", "2 publishers".
pub fn counted(n: usize, what: &str) -> String {
    format!(
        "{} {what}{}",
        thousands(n as u64),
        if n == 1 { "" } else { "s" }
    )
}

pub use crate::engine::display_text::thousands;
