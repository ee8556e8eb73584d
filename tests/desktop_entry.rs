//! `install-desktop-entry`: the real binary installs a menu entry and icons into a temporary XDG data
//! home, the entry passes `desktop-file-validate`, and `--remove` takes everything out again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::tools;

const BINARY: &str = env!("CARGO_BIN_EXE_mqtt-playground");
const SIZES: [u32; 7] = [16, 32, 48, 64, 128, 256, 512];

/// An empty directory of this test's own (removed first if a previous run left it).
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mqtt-playground-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn run(data_home: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("install-desktop-entry")
        .args(args)
        .env("XDG_DATA_HOME", data_home)
        .output()
        .expect("the binary runs")
}

fn validator() -> Option<PathBuf> {
    let found = tools::on_path("desktop-file-validate");
    tools::available(
        "desktop-file-validate",
        found.is_some(),
        "apt install desktop-file-utils",
    )
    .then_some(found)
    .flatten()
}

/// desktop-file-validate's verdict: exit status 0 and no error lines (hints are fine).
fn assert_valid(validate: &Path, entry: &Path) {
    let out = Command::new(validate)
        .arg(entry)
        .output()
        .expect("desktop-file-validate runs");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !said.contains("error:"),
        "{} is not a valid desktop entry:\n{said}",
        entry.display()
    );
}

fn installed_files(data_home: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = SIZES
        .iter()
        .map(|n| data_home.join(format!("icons/hicolor/{n}x{n}/apps/mqtt-playground.png")))
        .collect();
    files.push(data_home.join("icons/hicolor/scalable/apps/mqtt-playground.svg"));
    files.push(data_home.join("applications/mqtt-playground.desktop"));
    files
}

#[test]
fn the_shipped_entry_is_valid() {
    let Some(validate) = validator() else { return };
    assert_valid(
        &validate,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mqtt-playground.desktop"),
    );
}

#[test]
fn install_writes_a_valid_entry_and_the_icons_and_remove_takes_them_out() {
    let data_home = fresh_dir("xdg");
    let out = run(&data_home, &[]);
    assert!(
        out.status.success(),
        "install failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in installed_files(&data_home) {
        assert!(file.is_file(), "{} was not written", file.display());
    }
    let entry_path = data_home.join("applications/mqtt-playground.desktop");
    let entry = std::fs::read_to_string(&entry_path).expect("the entry reads");
    assert!(
        entry.lines().any(|l| l == format!("Exec={BINARY}")),
        "Exec should start this very binary:\n{entry}"
    );
    assert!(entry.lines().any(|l| l == "Icon=mqtt-playground"));
    if let Some(validate) = validator() {
        assert_valid(&validate, &entry_path);
    }

    let out = run(&data_home, &["--remove"]);
    assert!(
        out.status.success(),
        "remove failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in installed_files(&data_home) {
        assert!(
            !file.exists(),
            "{} is still there after --remove",
            file.display()
        );
    }
    // A second remove has nothing to do, and says so without failing.
    let again = run(&data_home, &["--remove"]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to remove"));
    let _ = std::fs::remove_dir_all(&data_home);
}

#[test]
fn a_missing_data_home_is_a_clear_error_and_a_failed_exit() {
    let data_home =
        std::env::temp_dir().join(format!("mqtt-playground-missing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_home);
    let out = run(&data_home, &[]);
    assert!(
        !out.status.success(),
        "installing into a missing directory must fail"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("does not exist") && said.contains("mkdir -p"),
        "{said}"
    );
    assert!(!data_home.exists(), "nothing may be created");
}

#[test]
fn an_unwritable_place_is_a_clear_error_and_a_failed_exit() {
    // A file where the applications directory should be: unwritable even for root, unlike chmod.
    let data_home = fresh_dir("blocked");
    std::fs::write(data_home.join("applications"), b"in the way").expect("a blocking file");
    let out = run(&data_home, &[]);
    assert!(
        !out.status.success(),
        "the install must fail when it cannot write the entry"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("could not write") && said.contains("applications"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&data_home);
}
